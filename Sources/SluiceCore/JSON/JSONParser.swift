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
        var parser = JSONParser(JSONScanner(bytes))
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

extension JSONValue {
    /// Reads one value at the scanner's position (after whitespace), leaving the scanner after it: for readers that
    /// take a document's known parts token by token and its free-form parts whole. Duplicate keys are refused and
    /// nesting is limited as in ``parse(_:)``.
    public static func read(from scanner: inout JSONScanner) throws(JSONParseError) -> JSONValue {
        var parser = JSONParser(scanner)
        defer { scanner = parser.scanner }
        return try parser.parseValue()
    }
}
