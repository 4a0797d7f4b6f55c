/// A BGP AS_PATH (RFC 4271 section 5.1.2) with 4-octet ASNs (RFC 6793).
///
/// The ASNs of all segments are kept in one flat array and the segments as
/// (kind, count) runs over it, so a path costs two allocations however many
/// segments it has, and iterating the ASNs needs no nesting.
public struct ASPath: Hashable, Sendable {
    /// Segment types, RFC 4271 (SET, SEQUENCE) and RFC 5065 (confederations).
    public struct SegmentKind: RawRepresentable, Hashable, Sendable {
        public var rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        public static let set = SegmentKind(rawValue: 1)
        public static let sequence = SegmentKind(rawValue: 2)
        public static let confedSequence = SegmentKind(rawValue: 3)
        public static let confedSet = SegmentKind(rawValue: 4)

        @inlinable public var isSet: Bool { rawValue == 1 || rawValue == 4 }
        @inlinable public var isConfederation: Bool { rawValue == 3 || rawValue == 4 }
    }

    public struct Segment: Hashable, Sendable {
        public var kind: SegmentKind
        public var count: Int
        public init(kind: SegmentKind, count: Int) {
            self.kind = kind
            self.count = count
        }
    }

    public var asns: [UInt32]
    public var segments: [Segment]

    public init(asns: [UInt32] = [], segments: [Segment] = []) {
        self.asns = asns
        self.segments = segments
    }

    /// A path of one AS_SEQUENCE.
    public init(sequence: [UInt32]) {
        asns = sequence
        segments = sequence.isEmpty ? [] : [Segment(kind: .sequence, count: sequence.count)]
    }

    public var isEmpty: Bool { asns.isEmpty }

    /// The ASNs of each segment, in order.
    public var segmentASNs: [(kind: SegmentKind, asns: ArraySlice<UInt32>)] {
        var out: [(SegmentKind, ArraySlice<UInt32>)] = []
        var start = 0
        for s in segments {
            out.append((s.kind, asns[start..<(start + s.count)]))
            start += s.count
        }
        return out
    }

    /// Path length as RFC 4271 section 9.1.2.2 counts it: each SEQUENCE AS counts one,
    /// each SET counts one in all, confederation segments count nothing (RFC 5065).
    public var routeLength: Int {
        var n = 0
        for s in segments {
            switch s.kind {
            case .sequence: n += s.count
            case .set: n += 1
            default: break
            }
        }
        return n
    }

    /// The origin AS(es): the last AS of a final SEQUENCE, or every AS of a final SET.
    public var originASNs: [UInt32] {
        guard let last = segments.last, last.count > 0 else { return [] }
        if last.kind.isSet { return Array(asns[(asns.count - last.count)...]) }
        return [asns[asns.count - 1]]
    }

    /// RFC 6793 section 4.2.3: rebuild the path of a 2-octet session from AS_PATH and
    /// AS4_PATH. When AS4_PATH is longer than AS_PATH it is ignored; otherwise the
    /// leading `AS_PATH.length - AS4_PATH.length` ASes of AS_PATH are kept and AS4_PATH
    /// appended. Confederation segments in AS4_PATH are not counted.
    public func merged(with as4: ASPath) -> ASPath {
        let keep = routeLength - as4.routeLength
        if keep < 0 { return self }
        var out = ASPath()
        out.asns.reserveCapacity(asns.count + as4.asns.count)
        var counted = 0
        var start = 0
        for s in segments where counted < keep {
            switch s.kind {
            case .sequence:
                let take = min(s.count, keep - counted)
                out.asns.append(contentsOf: asns[start..<(start + take)])
                out.segments.append(Segment(kind: s.kind, count: take))
                counted += take
            case .set:
                out.asns.append(contentsOf: asns[start..<(start + s.count)])
                out.segments.append(s)
                counted += 1
            default:
                out.asns.append(contentsOf: asns[start..<(start + s.count)])
                out.segments.append(s)
            }
            start += s.count
        }
        for (i, s) in as4.segments.enumerated() {
            // Join a leading AS4 SEQUENCE onto a trailing kept SEQUENCE so the result
            // has the same segment structure a 4-octet speaker would have sent.
            if i == 0, s.kind == .sequence, let last = out.segments.last, last.kind == .sequence {
                out.segments[out.segments.count - 1].count += s.count
            } else {
                out.segments.append(s)
            }
        }
        out.asns.append(contentsOf: as4.asns)
        return out
    }
}

extension ASPath {
    /// Opening and closing characters and separator of a segment in bgpdump's text form
    /// (0 for none): `{a,b}` SET, `(a b)` confederation SEQUENCE, `[a,b]` confederation SET.
    @inlinable
    static func delimiters(_ kind: UInt8) -> (open: UInt8, close: UInt8, separator: UInt8) {
        switch kind {
        case 1: return (UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: ","))
        case 3: return (UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: " "))
        case 4: return (UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: ","))
        default: return (0, 0, UInt8(ascii: " "))
        }
    }
}

extension ASPath: CustomStringConvertible {
    /// bgpdump's text form: SEQUENCE ASes separated by spaces, `{a,b}` for a SET,
    /// `(a b)` for a confederation SEQUENCE and `[a,b]` for a confederation SET.
    public var description: String {
        let sink = ByteSink(capacity: 128)
        sink.appendASPath(self)
        return String(decoding: sink.bytes, as: UTF8.self)
    }
}

extension ByteSink {
    @inlinable
    public func appendASPath(_ path: ASPath) {
        path.asns.withUnsafeBufferPointer { asns in
            var start = 0
            var first = true
            for s in path.segments {
                if !first { append(UInt8(ascii: " ")) }
                first = false
                let (open, close, sep) = ASPath.delimiters(s.kind.rawValue)
                if open != 0 { append(open) }
                var i = 0
                while i < s.count {
                    if i > 0 { append(sep) }
                    appendDecimal(asns[start &+ i])
                    i &+= 1
                }
                if close != 0 { append(close) }
                start &+= s.count
            }
        }
    }
}

extension ByteSink {
    /// Writes an AS_PATH straight from its wire form (validated segments), in bgpdump's text form.
    @inlinable
    public func appendASPathWire(_ wire: UnsafeRawBufferPointer, asnSize: Int) {
        var p = 0
        let end = wire.count
        var first = true
        while p &+ 2 <= end {
            let kind = wire[p]
            let count = Int(wire[p &+ 1])
            p &+= 2
            if !first { append(UInt8(ascii: " ")) }
            first = false
            let (open, close, sep) = ASPath.delimiters(kind)
            if open != 0 { append(open) }
            var i = 0
            while i < count, p &+ asnSize <= end {
                if i > 0 { append(sep) }
                if asnSize == 4 {
                    appendDecimal(UInt32(bigEndian: wire.loadUnaligned(fromByteOffset: p, as: UInt32.self)))
                } else {
                    appendDecimal(UInt32(UInt16(bigEndian: wire.loadUnaligned(fromByteOffset: p, as: UInt16.self))))
                }
                p &+= asnSize
                i &+= 1
            }
            if close != 0 { append(close) }
        }
    }
}
