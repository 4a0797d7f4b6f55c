import ArgumentParser

/// Throws the usage error (exit status 64) for a numeric flag whose value is outside the
/// range it accepts, naming the flag, the range and the value given. `ok` is written so
/// that NaN fails it (comparisons with NaN are false) and infinities fall outside.
func requireFlag(_ flag: String, _ value: some CustomStringConvertible, in range: String, _ ok: Bool) throws {
    guard ok else { throw ValidationError("\(flag) must be in \(range); got \(value).") }
}

/// A period given as --from and --to: both parse, and --from is not after --to.
func requirePeriod(from: String?, to: String?) throws {
    var start: UInt32?, end: UInt32?
    if let from {
        guard let t = TimeArgument.parse(from) else {
            throw ValidationError("--from '\(from)' is not a time: expected ISO 8601 (2014-12-22T16:15Z) or Unix seconds up to 4294967295.")
        }
        start = t
    }
    if let to {
        guard let t = TimeArgument.parse(to) else {
            throw ValidationError("--to '\(to)' is not a time: expected ISO 8601 (2014-12-22T16:15Z) or Unix seconds up to 4294967295.")
        }
        end = t
    }
    if let start, let end, start > end {
        throw ValidationError("--from (\(from ?? "")) is after --to (\(to ?? "")): the period is reversed.")
    }
}
