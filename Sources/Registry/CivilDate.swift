/// The proleptic Gregorian date of a Unix time (UTC), from days since 1970-01-01
/// (Howard Hinnant's civil_from_days).
public func civilDate(_ t: UInt32) -> (year: Int, month: Int, day: Int) {
    let z = Int(t) / 86_400 + 719_468
    let era = z / 146_097  // Unix times are after 1970: z is positive
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let d = doy - (153 * mp + 2) / 5 + 1
    let m = mp < 10 ? mp + 3 : mp - 9
    return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
}
