import Foundation

/// Why a document is not acceptable JSON, with the byte offset where reading stopped.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What was wrong.
    public var reason: String
    /// The byte offset at which it was found.
    public var offset: Int

    public var description: String { "\(reason) at byte \(offset)" }
}

/// A strict JSON parser (RFC 8259) with a nesting limit, building values on ``JSONScanner``'s tokens.
///
/// Hand-written rather than `JSONDecoder` so that it can refuse what a server must
/// refuse without cost: nesting deeper than ``maxDepth``, invalid UTF-8, duplicate
/// keys in one object, and numbers that do not fit a double.
struct JSONParser {
    /// Deeper documents are refused; no Segment payload comes near it.
    static let maxDepth = 512

    var scanner: JSONScanner
    var depth = 0
    /// Whether a key repeated in one object keeps its last value, as `JSON.parse` does, rather than being refused.
    var keepsLastDuplicate = false
    /// The members of the objects being read, innermost last: each object's dictionary is made once its members
    /// are known, at its size (growing it member by member rehashed every key at each doubling), and this one
    /// buffer serves every object of the document.
    private var members: [(key: String, value: JSONValue, offset: Int)] = []

    init(_ scanner: JSONScanner) { self.scanner = scanner }

    /// Parses a whole document: one value, with nothing but whitespace around it.
    static func parseDocument(_ bytes: UnsafeBufferPointer<UInt8>, keepsLastDuplicate: Bool = false) throws(JSONParseError) -> JSONValue {
        var parser = JSONParser(JSONScanner(bytes, validated: JSONScanner.isUTF8(bytes)))
        parser.keepsLastDuplicate = keepsLastDuplicate
        parser.scanner.skipWhitespace()
        let value = try parser.parseValue()
        parser.scanner.skipWhitespace()
        if parser.scanner.index != bytes.count { throw parser.scanner.fail("Unexpected data after the JSON value") }
        return value
    }

    /// The value at the scanner's position (after whitespace).
    mutating func parseValue() throws(JSONParseError) -> JSONValue {
        guard let b = scanner.next else { throw scanner.fail("Unexpected end of JSON") }
        switch b {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try scanner.string())
        case UInt8(ascii: "t"): try scanner.literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try scanner.literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try scanner.literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try scanner.number())
        default: throw scanner.fail("Unexpected character")
        }
    }

    private mutating func enter() throws(JSONParseError) {
        depth += 1
        if depth > Self.maxDepth { throw scanner.fail("JSON nested deeper than \(Self.maxDepth) levels") }
    }

    private mutating func parseObject() throws(JSONParseError) -> JSONValue {
        try enter()
        defer { depth -= 1 }
        scanner.index += 1
        scanner.skipWhitespace()
        if scanner.next == UInt8(ascii: "}") {
            scanner.index += 1
            return .object([:])
        }
        let start = members.count
        defer { members.removeSubrange(start...) }
        while true {
            scanner.skipWhitespace()
            guard scanner.next == UInt8(ascii: "\"") else { throw scanner.fail("Expected a string key") }
            let keyOffset = scanner.index
            let key = try scanner.string()
            scanner.skipWhitespace()
            guard scanner.next == UInt8(ascii: ":") else { throw scanner.fail("Expected ':'") }
            scanner.index += 1
            scanner.skipWhitespace()
            members.append((key, try parseValue(), keyOffset))
            scanner.skipWhitespace()
            switch scanner.next {
            case UInt8(ascii: ","): scanner.index += 1
            case UInt8(ascii: "}"):
                scanner.index += 1
                var object = [String: JSONValue](minimumCapacity: members.count - start)
                for member in members[start...] {
                    let earlier = object.updateValue(member.value, forKey: member.key)
                    if earlier != nil, !keepsLastDuplicate {
                        throw JSONParseError(reason: "Duplicate key \"\(member.key)\"", offset: member.offset)
                    }
                }
                return .object(object)
            case nil: throw scanner.fail("Unexpected end of JSON")
            default: throw scanner.fail("Expected ',' or '}'")
            }
        }
    }

    private mutating func parseArray() throws(JSONParseError) -> JSONValue {
        try enter()
        defer { depth -= 1 }
        scanner.index += 1
        var array: [JSONValue] = []
        scanner.skipWhitespace()
        if scanner.next == UInt8(ascii: "]") {
            scanner.index += 1
            return .array(array)
        }
        while true {
            scanner.skipWhitespace()
            array.append(try parseValue())
            scanner.skipWhitespace()
            switch scanner.next {
            case UInt8(ascii: ","): scanner.index += 1
            case UInt8(ascii: "]"):
                scanner.index += 1
                return .array(array)
            case nil: throw scanner.fail("Unexpected end of JSON")
            default: throw scanner.fail("Expected ',' or ']'")
            }
        }
    }
}

extension JSONParser {
    /// Parses a document as ``parseDocument(_:keepsLastDuplicate:)`` does, except that of a top-level object only the
    /// members named in `members` are built; the others' values are stepped over (``JSONScanner/skipValue()``), their
    /// structure followed but their contents not checked. A document that is not an object is parsed whole.
    static func parseDocument(_ bytes: UnsafeBufferPointer<UInt8>, members: JSONMemberNames) throws(JSONParseError) -> JSONValue {
        var parser = JSONParser(JSONScanner(bytes, validated: JSONScanner.isUTF8(bytes)))
        parser.scanner.skipWhitespace()
        guard parser.scanner.next == UInt8(ascii: "{") else { return try parseDocument(bytes) }
        parser.scanner.index += 1
        parser.depth = 1  // the top-level object, as parseObject counts it
        var object: [String: JSONValue] = [:]
        parser.scanner.skipWhitespace()
        if parser.scanner.next == UInt8(ascii: "}") {
            parser.scanner.index += 1
        } else {
            reading: while true {
                parser.scanner.skipWhitespace()
                guard parser.scanner.next == UInt8(ascii: "\"") else { throw parser.scanner.fail("Expected a string key") }
                let keyOffset = parser.scanner.index
                let name = try parser.scanner.memberName(in: members)
                parser.scanner.skipWhitespace()
                guard parser.scanner.next == UInt8(ascii: ":") else { throw parser.scanner.fail("Expected ':'") }
                parser.scanner.index += 1
                parser.scanner.skipWhitespace()
                if let name {
                    if object.updateValue(try parser.parseValue(), forKey: name) != nil {
                        throw JSONParseError(reason: "Duplicate key \"\(name)\"", offset: keyOffset)
                    }
                } else {
                    try parser.scanner.skipValue()
                }
                parser.scanner.skipWhitespace()
                switch parser.scanner.next {
                case UInt8(ascii: ","): parser.scanner.index += 1
                case UInt8(ascii: "}"):
                    parser.scanner.index += 1
                    break reading
                case nil: throw parser.scanner.fail("Unexpected end of JSON")
                default: throw parser.scanner.fail("Expected ',' or '}'")
                }
            }
        }
        parser.scanner.skipWhitespace()
        if parser.scanner.index != bytes.count { throw parser.scanner.fail("Unexpected data after the JSON value") }
        return .object(object)
    }
}

/// The top-level members of an object that a reader needs (``JSONValue/parse(_:members:)``), with their UTF-8 bytes
/// kept for comparing keys as they stand in the input.
public struct JSONMemberNames: Sendable {
    /// The names.
    public let names: Set<String>
    let utf8: [(name: String, bytes: [UInt8])]

    public init(_ names: some Sequence<String>) {
        self.names = Set(names)
        utf8 = self.names.map { ($0, Array($0.utf8)) }
    }
}

extension JSONScanner {
    /// Reads the key whose opening quote is at the current position and answers it if it is one of `members`, else
    /// `nil`. A key without escapes is compared as it stands, without making a string of it.
    mutating func memberName(in members: JSONMemberNames) throws(JSONParseError) -> String? {
        let start = index + 1
        var end = start
        while end < bytes.count, bytes[end] != UInt8(ascii: "\""), bytes[end] != UInt8(ascii: "\\") { end += 1 }
        guard end < bytes.count, bytes[end] == UInt8(ascii: "\"") else {
            let key = try string()  // escaped (or unterminated: string() says so)
            return members.names.contains(key) ? key : nil
        }
        let raw = UnsafeBufferPointer(rebasing: bytes[start..<end])
        index = end + 1
        for member in members.utf8 where member.bytes.elementsEqual(raw) { return member.name }
        return nil
    }

    /// Steps over the value at the current position (after whitespace) by its structure alone: a string to its
    /// closing quote, an object or array to its closing bracket, anything else to the next `,`, `}`, `]` or
    /// whitespace. Nothing inside is checked, so this is for input known to be JSON.
    ///
    /// - Throws: at the end of the input before the value ends.
    mutating func skipValue() throws(JSONParseError) {
        guard let first = next else { throw fail("Unexpected end of JSON") }
        switch first {
        case UInt8(ascii: "\""):
            try skipString()
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var depth = 0
            repeat {
                guard index < bytes.count else { throw fail("Unexpected end of JSON") }
                switch bytes[index] {
                case UInt8(ascii: "\""): try skipString()
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    depth += 1
                    index += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    index += 1
                default: index += 1
                }
            } while depth > 0
        default:
            index += 1
            scalar: while index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), 0x20, 0x09, 0x0A, 0x0D: break scalar
                default: index += 1
                }
            }
        }
    }

    /// Steps over the string whose opening quote is at the current position, escapes included.
    private mutating func skipString() throws(JSONParseError) {
        index += 1
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: "\""):
                index += 1
                return
            case UInt8(ascii: "\\"): index += 2
            default: index += 1
            }
        }
        throw fail("Unterminated string")
    }
}

extension JSONValue {
    /// Parses JSON bytes as ``parse(_:)`` does, but builds only the `members` of a top-level object: the router
    /// needs only what its triggers read, and most of an event is not that.
    ///
    /// The other members are stepped over by their structure only, not checked, so this is for bytes known to be JSON
    /// (the events Sluice stored, written by ``JSONWriter``). For such bytes the answer is ``parse(_:)``'s with the
    /// other members left out; a document that is not an object is parsed whole.
    public static func parse(_ bytes: some Collection<UInt8>, members: JSONMemberNames) throws(JSONParseError) -> JSONValue {
        let parse = { (buffer: UnsafeBufferPointer<UInt8>) in
            Result { () throws(JSONParseError) in try JSONParser.parseDocument(buffer, members: members) }
        }
        if let result = bytes.withContiguousStorageIfAvailable(parse) { return try result.get() }
        return try Array(bytes).withUnsafeBufferPointer(parse).get()
    }

    /// Reads one value at the scanner's position (after whitespace), leaving the scanner after it: for readers that
    /// take a document's known parts token by token and its free-form parts whole. Duplicate keys are refused and
    /// nesting is limited as in ``parse(_:)``.
    public static func read(from scanner: inout JSONScanner) throws(JSONParseError) -> JSONValue {
        var parser = JSONParser(scanner)
        defer { scanner = parser.scanner }
        return try parser.parseValue()
    }
}
