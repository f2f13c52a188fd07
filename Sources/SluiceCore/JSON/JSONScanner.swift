/// JSON's tokens (RFC 8259) read from bytes in place: whitespace, literals, strings and numbers.
///
/// The one tokenizer Sluice has: ``JSONValue/parse(_:)`` builds values on it, and the catalog's start-up reader
/// reads the catalog's known shapes with it field by field. It reads from a buffer the caller keeps alive for as
/// long as the scanner is used.
public struct JSONScanner {
    /// The input.
    public let bytes: UnsafeBufferPointer<UInt8>
    /// Where the next token starts (after whitespace when ``skipWhitespace()`` was called).
    public var index: Int
    /// Whether the caller checked the whole input to be UTF-8 already: strings then skip their own check.
    let validated: Bool

    /// A scanner at `index` of `bytes`.
    ///
    /// - Parameter validated: `true` when the whole input is known to be valid UTF-8 (`String(validating:)` of it
    ///   succeeded), so that a string is made without checking it again.
    public init(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int = 0, validated: Bool = false) {
        self.bytes = bytes
        self.index = index
        self.validated = validated
    }

    /// Whether all of `bytes` is UTF-8, checked in one pass without making a string of them: a document checked so
    /// is scanned with `validated`, and each of its strings is made without a check of its own (which, through
    /// `String(validating:)`, costs more per string than the bytes it reads).
    public static func isUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        do {
            _ = try UTF8Span(validating: bytes.span)
            return true
        } catch {
            return false
        }
    }

    /// An error at the current position.
    public func fail(_ reason: String) -> JSONParseError { JSONParseError(reason: reason, offset: index) }

    /// The byte at the current position, or `nil` at the end.
    public var next: UInt8? { index < bytes.count ? bytes[index] : nil }

    /// Moves past spaces, tabs, line feeds and carriage returns.
    public mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    /// Reads `literal` (`true`, `false`, `null`) at the current position.
    public mutating func literal(_ literal: StaticString) throws(JSONParseError) {
        let count = literal.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw fail("Unexpected end of JSON") }
        let p = literal.utf8Start
        for i in 0..<count where bytes[index + i] != p[i] { throw fail("Invalid literal") }
        index += count
    }

    /// Reads a string whose opening quote is at the current position.
    ///
    /// - Throws: for a string that does not end, a control character, an invalid escape or unpaired surrogate, or
    ///   (unless the input was validated) bytes that are not UTF-8.
    public mutating func string() throws(JSONParseError) -> String {
        index += 1  // the opening quote
        let start = index
        while index < bytes.count {
            let b = bytes[index]
            if b == UInt8(ascii: "\"") {
                let text = try make(UnsafeBufferPointer(rebasing: bytes[start..<index]))
                index += 1
                return text
            }
            if b == UInt8(ascii: "\\") { return try escapedString(from: start) }
            guard b >= 0x20 else { throw fail("Control character in string") }
            index += 1
        }
        throw fail("Unterminated string")
    }

    /// The bytes between a string's quotes (escapes resolved) as a string.
    private func make(_ utf8: UnsafeBufferPointer<UInt8>) throws(JSONParseError) -> String {
        if validated { return String(decoding: utf8, as: UTF8.self) }
        guard let text = String(validating: utf8, as: UTF8.self) else { throw fail("Invalid UTF-8 in string") }
        return text
    }

    /// The rest of a string with escapes, from its first byte at `start`; the scanner is at the first backslash.
    private mutating func escapedString(from start: Int) throws(JSONParseError) -> String {
        var out = Array(UnsafeBufferPointer(rebasing: bytes[start..<index]))
        while index < bytes.count {
            let b = bytes[index]
            if b == UInt8(ascii: "\"") {
                let text = try out.withUnsafeBufferPointer { (buffer) throws(JSONParseError) in try make(buffer) }
                index += 1
                return text
            }
            guard b >= 0x20 else { throw fail("Control character in string") }
            guard b == UInt8(ascii: "\\") else {
                out.append(b)
                index += 1
                continue
            }
            index += 1
            guard index < bytes.count else { throw fail("Unterminated string") }
            let e = bytes[index]
            index += 1
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xD800...0xDBFF).contains(scalar) {
                    guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                        throw fail("Unpaired surrogate in string")
                    }
                    index += 2
                    let low = try hex4()
                    guard (0xDC00...0xDFFF).contains(low) else { throw fail("Unpaired surrogate in string") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00...0xDFFF).contains(scalar) {
                    throw fail("Unpaired surrogate in string")
                }
                guard let unicode = Unicode.Scalar(scalar) else { throw fail("Invalid escape") }
                out.append(contentsOf: String(Character(unicode)).utf8)
            default:
                throw fail("Invalid escape")
            }
        }
        throw fail("Unterminated string")
    }

    private mutating func hex4() throws(JSONParseError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw fail("Invalid escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[index]
            let digit: UInt32
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(b - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(b - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(b - UInt8(ascii: "A") + 10)
            default: throw fail("Invalid escape")
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    /// Reads a number in JSON's grammar at the current position. An integer of at most 15 digits is added up
    /// exactly; any other number is converted by `Double(_:)`.
    ///
    /// - Throws: for text that is not a JSON number, or one that does not fit a double.
    public mutating func number() throws(JSONParseError) -> Double {
        let start = index
        var whole: Int64 = 0
        var simple = true  // digits only, few enough to add up exactly
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count, isDigit(bytes[index]) else { throw fail("Invalid number") }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else {
            let first = index
            while index < bytes.count, isDigit(bytes[index]) {
                if index - first < 15 { whole = whole * 10 + Int64(bytes[index] - UInt8(ascii: "0")) } else { simple = false }
                index += 1
            }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            simple = false
            index += 1
            guard index < bytes.count, isDigit(bytes[index]) else { throw fail("Invalid number") }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            simple = false
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count, isDigit(bytes[index]) else { throw fail("Invalid number") }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if simple { return bytes[start] == UInt8(ascii: "-") ? -Double(whole) : Double(whole) }
        guard let value = Double(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)), value.isFinite else {
            throw JSONParseError(reason: "Number out of range", offset: start)
        }
        return value
    }

    private func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
}
