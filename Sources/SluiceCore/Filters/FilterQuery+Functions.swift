import Foundation

// The functions of Segment's FQL reference (src/api/public-api/fql.md, "Functions"), with its null defaults:
// contains(null, s) = false, length(null) = 0, lowercase(null) = null, typeof(null) = "null", match(null, p) = false.
// Where the reference is silent, an operand of the wrong type gives false (predicates) or null (the others).
extension FilterQuery {
    /// Applies a function to its evaluated arguments; `second` is `null` for functions of one argument.
    static func call(_ function: Function, _ value: JSONValue, _ second: JSONValue) -> JSONValue {
        switch function {
        case .contains:
            guard case .string(let s) = value, case .string(let sub) = second else { return .bool(false) }
            return .bool(containsBytes(s, sub))
        case .length:
            switch value {
            case .string(let s): return .number(Double(s.utf8.count))
            case .array(let a): return .number(Double(a.count))
            case .null: return .number(0)
            default: return .null
            }
        case .lowercase:
            return mapString(value) { $0.lowercased() }
        case .uppercase:
            return mapString(value) { $0.uppercased() }
        case .snakecase:
            return mapString(value) { replaceSpaces($0, with: "_") }
        case .kebabcase:
            return mapString(value) { replaceSpaces($0, with: "-") }
        case .titlecase:
            return mapString(value, titlecase)
        case .typeof:
            return .string(typeName(value))
        case .match:
            guard case .string(let s) = value, case .string(let pattern) = second else { return .bool(false) }
            return .bool(Glob(pattern).matches(s))
        case .bool:
            return .bool(toBool(value))
        case .string:
            if case .string = value { return value }
            return .string(String(decoding: JSONWriter.encode(value), as: UTF8.self))
        case .number:
            switch value {
            case .number: return value
            case .string(let s):
                // Decimal notation only: Double(_:) would also read "nan", "inf" and hexadecimal.
                let text = s.trimmingCharacters(in: .whitespaces)
                let decimal = text.utf8.allSatisfy { (0x30...0x39).contains($0) || $0 == 0x2B || $0 == 0x2D || $0 == 0x2E || $0 | 0x20 == 0x65 }
                guard decimal, let n = Double(text), n.isFinite else { return .null }
                return .number(n)
            default: return .null
            }
        }
    }

    /// The FQL type name: `string`, `number`, `list`, `bool`, `null`, and `object` for an object.
    static func typeName(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool: "bool"
        case .number: "number"
        case .string: "string"
        case .array: "list"
        case .object: "object"
        }
    }

    /// `bool(x)`: booleans as they are; numbers other than 0; strings `true`, `True`, `TRUE`, `t`, `T`, `1`
    /// (Go's `strconv.ParseBool`, Segment's engine being written in Go); non-empty lists and objects; null is false.
    static func toBool(_ value: JSONValue) -> Bool {
        switch value {
        case .null: false
        case .bool(let b): b
        case .number(let n): n != 0
        case .string(let s): ["1", "t", "T", "true", "True", "TRUE"].contains(s)
        case .array(let a): !a.isEmpty
        case .object(let o): !o.isEmpty
        }
    }

    private static func mapString(_ value: JSONValue, _ transform: (String) -> String) -> JSONValue {
        guard case .string(let s) = value else { return .null }
        return .string(transform(s))
    }

    /// Replaces each whitespace character (space, tab, newline, ...) with `replacement`.
    private static func replaceSpaces(_ s: String, with replacement: Character) -> String {
        String(s.map { $0.isWhitespace ? replacement : $0 })
    }

    /// Upper-cases the first letter of each word (words are separated by whitespace); other letters are kept.
    private static func titlecase(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        var atWordStart = true
        for character in s {
            if character.isWhitespace {
                atWordStart = true
                out.append(character)
            } else if atWordStart {
                atWordStart = false
                out += character.uppercased()
            } else {
                out.append(character)
            }
        }
        return out
    }

    /// Whether `sub` occurs in `s`, comparing UTF-8 bytes (as Go's `strings.Contains` does).
    ///
    /// Short needles are compared in place; long ones use Knuth-Morris-Pratt, so the time stays linear.
    static func containsBytes(_ s: String, _ sub: String) -> Bool {
        var s = s
        var sub = sub
        return s.withUTF8 { hay in
            sub.withUTF8 { needle in
                let n = needle.count
                if n == 0 { return true }
                if n > hay.count { return false }
                if n > 32 { return kmpContains(hay, needle) }
                let first = needle[0]
                let last = hay.count - n
                var i = 0
                while i <= last {
                    if hay[i] == first {
                        var j = 1
                        while j < n, hay[i + j] == needle[j] { j += 1 }
                        if j == n { return true }
                    }
                    i += 1
                }
                return false
            }
        }
    }

    private static func kmpContains(_ hay: UnsafeBufferPointer<UInt8>, _ needle: UnsafeBufferPointer<UInt8>) -> Bool {
        var failure = [Int](repeating: 0, count: needle.count)
        var k = 0
        for i in 1..<needle.count {
            while k > 0, needle[i] != needle[k] { k = failure[k - 1] }
            if needle[i] == needle[k] { k += 1 }
            failure[i] = k
        }
        k = 0
        for byte in hay {
            while k > 0, byte != needle[k] { k = failure[k - 1] }
            if byte == needle[k] { k += 1 }
            if k == needle.count { return true }
        }
        return false
    }
}
