/// Why a record body could not be decoded, and where.
///
/// Errors are values, never traps: every length and index read from the wire is checked
/// before it is used, and a failure names the field and the byte offset inside the
/// record body. The reader adds the file, the record index and the absolute offset.
public struct MRTDecodeError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        /// A field needs more bytes than its enclosing structure has left.
        case truncated(field: String, needed: Int, available: Int)
        /// A prefix length larger than the address family allows (32 or 128).
        case invalidPrefixLength(Int, max: Int)
        /// A TABLE_DUMP_V2 RIB record arrived before any PEER_INDEX_TABLE (RFC 6396 section 4.3.1).
        case missingPeerIndexTable
        /// A RIB entry names a peer index the PEER_INDEX_TABLE does not have.
        case peerIndexOutOfRange(index: Int, peerCount: Int)
        /// The 16-octet BGP marker is not all ones (RFC 4271 section 4.1).
        case badMarker
        /// A BGP message header length outside 19...65535 or beyond the record.
        case badMessageLength(Int)
        /// An AS_PATH segment type other than 1-4 (RFC 4271, RFC 5065).
        case badASPathSegmentType(UInt8)
        /// An address family other than IPv4 (1) or IPv6 (2) where one is required.
        case unsupportedAddressFamily(UInt16)
        /// A next-hop length that fits neither the address family nor RFC 2545's 32 octets.
        case badNextHopLength(Int)
        /// An attribute whose length does not fit its type (RFC 7606 section 7).
        case badAttributeLength(type: UInt8, length: Int)
        /// Bytes left over after a structure that should have used them all.
        case trailingBytes(Int)
        /// A length that would make the record larger than the reader accepts.
        case recordTooLarge(Int)
    }

    public var reason: Reason
    /// Offset inside the record body where decoding stopped.
    public var offset: Int

    public init(_ reason: Reason, at offset: Int) {
        self.reason = reason
        self.offset = offset
    }

    public var description: String {
        switch reason {
        case let .truncated(field, needed, available):
            return "truncated \(field): needs \(needed) bytes, \(available) left (body offset \(offset))"
        case let .invalidPrefixLength(len, max):
            return "prefix length \(len) exceeds \(max) (body offset \(offset))"
        case .missingPeerIndexTable:
            return "RIB record without a preceding PEER_INDEX_TABLE"
        case let .peerIndexOutOfRange(index, count):
            return "peer index \(index) outside the peer table of \(count) peers (body offset \(offset))"
        case .badMarker:
            return "BGP marker is not all ones (body offset \(offset))"
        case let .badMessageLength(len):
            return "BGP message length \(len) is invalid (body offset \(offset))"
        case let .badASPathSegmentType(t):
            return "AS_PATH segment type \(t) is invalid (body offset \(offset))"
        case let .unsupportedAddressFamily(afi):
            return "address family \(afi) is not IPv4 or IPv6 (body offset \(offset))"
        case let .badNextHopLength(len):
            return "next hop length \(len) is invalid (body offset \(offset))"
        case let .badAttributeLength(type, length):
            return "attribute \(type) has invalid length \(length) (body offset \(offset))"
        case let .trailingBytes(n):
            return "\(n) unexpected trailing bytes (body offset \(offset))"
        case let .recordTooLarge(n):
            return "record length \(n) exceeds the limit"
        }
    }
}

