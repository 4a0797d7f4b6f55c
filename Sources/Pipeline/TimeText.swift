/// Parses a point in time given as Unix seconds or ISO 8601: `2014-12-22`,
/// `2014-12-22T16:15`, `2014-12-22T16:15:00Z`, `2014-12-22 16:15:00.5+09:00`.
/// Times without a zone are UTC. Returns Unix seconds (fractions dropped); nil for anything
/// else, or a time before 1970 or after 2106 (what a UInt32 holds). The command line and the
/// HTTP API share it.
public enum TimeText {
    public static func parse(_ text: String) -> UInt32? {
        if let v = UInt32(text) { return v }
        var s = Substring(text.trimmingSpaces)
        func number(_ digits: Int) -> Int? {
            guard s.count >= digits else { return nil }
            let part = s.prefix(digits)
            guard part.allSatisfy(\.isASCIIDigit), let v = Int(part) else { return nil }
            s = s.dropFirst(digits)
            return v
        }
        func take(_ c: Character) -> Bool {
            if s.first == c { s = s.dropFirst(); return true }
            return false
        }
        guard let year = number(4), take("-"), let month = number(2), take("-"), let day = number(2),
              (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day) else { return nil }
        var hour = 0, minute = 0, second = 0
        if take("T") || take("t") || take(" ") {
            guard let h = number(2), take(":"), let m = number(2), h < 24, m < 60 else { return nil }
            hour = h
            minute = m
            if take(":") {
                guard let sec = number(2), sec < 61 else { return nil }
                second = sec
                if take(".") || take(",") {
                    guard s.first?.isASCIIDigit == true else { return nil }
                    while s.first?.isASCIIDigit == true { s = s.dropFirst() }
                }
            }
        }
        var offset = 0
        if take("Z") || take("z") || s.isEmpty {
            // UTC
        } else if let sign = s.first, sign == "+" || sign == "-" {
            s = s.dropFirst()
            guard let oh = number(2), oh < 24 else { return nil }
            _ = take(":")
            guard let om = number(2), om < 60 else { return nil }
            offset = (oh * 3600 + om * 60) * (sign == "+" ? 1 : -1)
        }
        guard s.isEmpty else { return nil }
        let seconds = daysFromCivil(year: year, month: month, day: day) * 86_400
            + hour * 3600 + minute * 60 + second - offset
        return UInt32(exactly: seconds)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date.
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}

extension String {
    fileprivate var trimmingSpaces: Substring {
        var s = Substring(self)
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return s
    }
}
