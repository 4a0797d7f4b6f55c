import Outages
import Registry

/// A mark on the time axis: its time, the clock time (nil for whole days and longer steps)
/// and the date, shown on the first mark and where the day changes.
struct TimeTick: Equatable {
    var time: UInt32
    var clock: String?
    var date: String?
    /// Left edges of the labels (centred under the mark, moved inside the image at its edges).
    var clockLeft = 0, dateLeft = 0
}

/// A mark on a value axis: the value and its text (`1,250`).
struct ValueTick: Equatable {
    var value: Double
    var label: String
}

/// Where the axes' marks go: calendar steps in UTC for time, 1-2-5 steps for values.
enum ChartTicks {
    /// Steps up to a week, in seconds: each divides the next larger day or week evenly.
    static let timeSteps: [UInt32] = [60, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400, 172_800, 604_800]
    /// Month steps beyond a week.
    static let monthSteps = [1, 3, 6, 12]
    /// The fewest pixels between marks labelled with a clock time (`16:45`) or a date.
    static let clockSpacing = 56.0, dateSpacing = 76.0

    /// Marks in [from, to] at the smallest calendar step that keeps their labels apart on
    /// `pixels` of width.
    static func time(from: UInt32, to: UInt32, pixels: Double) -> [TimeTick] {
        let span = Double(max(1, to - from))
        for step in timeSteps {
            let spacing = Double(step) / span * pixels
            if spacing >= (step < 86_400 ? clockSpacing : dateSpacing) {
                return fixed(step, from: from, to: to, spacing: spacing)
            }
        }
        for months in monthSteps {
            // A month is at least 28 days.
            if Double(months * 28 * 86_400) / span * pixels >= dateSpacing {
                return monthly(months, from: from, to: to)
            }
        }
        return monthly(12 * max(1, Int(span / (365 * 86_400) * dateSpacing / pixels) + 1), from: from, to: to)
    }

    /// Marks every `step` seconds, at multiples of the step since the epoch (whole days for
    /// a day or more; weeks start on Monday, 1970-01-05).
    private static func fixed(_ step: UInt32, from: UInt32, to: UInt32, spacing: Double) -> [TimeTick] {
        let origin: UInt64 = step == 604_800 ? 4 * 86_400 : 0, s = UInt64(step)
        var t = UInt64(from) <= origin ? origin : (UInt64(from) - origin + s - 1) / s * s + origin
        var out: [TimeTick] = []
        while t <= UInt64(to) {
            let time = UInt32(t)
            let clock = step < 86_400 ? String(utcMinute(time).suffix(5)) : nil
            out.append(TimeTick(time: time, clock: clock, date: date(time)))
            t += UInt64(step)
        }
        guard step < 86_400 else { return out }
        // Clock marks: the date only where the day changes, and on the first mark unless a
        // midnight mark follows too closely for both dates to fit.
        let firstMidnight = out.firstIndex { $0.time % 86_400 == 0 }
        for i in out.indices where out[i].time % 86_400 != 0 {
            if i == 0, firstMidnight.map({ Double($0) * spacing >= dateSpacing }) ?? true { continue }
            out[i].date = nil
        }
        return out
    }

    /// Marks on the first day of every `months`th month (January-aligned).
    private static func monthly(_ months: Int, from: UInt32, to: UInt32) -> [TimeTick] {
        var (y, m, d) = civilDate(from)
        if d > 1 || from % 86_400 != 0 { m += 1 }
        m = ((m - 1 + months - 1) / months) * months + 1
        var out: [TimeTick] = []
        while true {
            if m > 12 { y += (m - 1) / 12; m = (m - 1) % 12 + 1 }
            guard let t = unixTime(year: y, month: m, day: 1), t <= to else { break }
            if t >= from { out.append(TimeTick(time: t, clock: nil, date: String(date(t).prefix(7)))) }
            m += months
        }
        return out
    }

    /// `2014-12-22`.
    static func date(_ t: UInt32) -> String { String(utcMinute(t).prefix(10)) }

    /// Unix time of a date's midnight UTC (Howard Hinnant's days_from_civil), nil past 2106.
    static func unixTime(year: Int, month: Int, day: Int) -> UInt32? {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        let days = era * 146_097 + doe - 719_468
        return days >= 0 && days * 86_400 <= Int(UInt32.max) ? UInt32(days * 86_400) : nil
    }

    /// A value axis from zero: the step is 1, 2 or 5 times a power of ten (at least 1, as
    /// the series count prefixes), with about `target` marks; the top mark is the first at
    /// or above the largest value plus a little room.
    static func value(max top: Double, target: Int) -> (ticks: [ValueTick], top: Double) {
        let peak = top.isFinite && top > 0 ? top * 1.04 : 0
        let raw = max(1, peak / Double(max(1, target)))
        var magnitude = 1.0
        while magnitude * 10 <= raw { magnitude *= 10 }
        let step = [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        let count = max(1, Int((peak / step).rounded(.up)))
        let ticks = (0...count).map { ValueTick(value: Double($0) * step, label: number(Double($0) * step)) }
        return (ticks, Double(count) * step)
    }

    /// A whole number with thousands separated by commas (`6,184,320`); other numbers with
    /// one decimal.
    static func number(_ v: Double) -> String {
        guard v.isFinite else { return "-" }
        let rounded = v.rounded()
        if abs(v - rounded) >= 0.05 {
            let tenths = Int((abs(v) * 10).rounded())
            return (v < 0 ? "-" : "") + number(Double(tenths / 10)) + "." + String(tenths % 10)
        }
        let digits = String(Int(abs(rounded)))
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return (rounded < 0 ? "-" : "") + out
    }
}
