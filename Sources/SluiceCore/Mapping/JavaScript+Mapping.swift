import Foundation

/// The JavaScript behaviours Segment's mapping-kit directives rely on: truthiness of a mapping, `value != ''`,
/// own-key order, `JSON.stringify` and `String.prototype.replace` with a literal pattern.
extension JavaScript {
    /// Truthiness of a value, `nil` being `undefined`.
    static func isTruthy(_ value: JSONValue?) -> Bool {
        value.map { Value.json($0).isTruthy } ?? false
    }

    /// `value == ''` with JavaScript's loose equality: `""`, `0`, `false`, and an array whose `join(",")` is empty
    /// (`[]`, `[null]`, `[""]`, `[[]]`) equal the empty string; `null` does not (nor does an object, `"[object Object]"`).
    static func looselyEqualsEmptyString(_ value: JSONValue) -> Bool {
        switch value {
        case .null, .object: false
        case .string(let s): s.isEmpty
        case .number(let n): n == 0
        case .bool(let b): !b
        case .array(let elements): elements.isEmpty || (elements.count == 1 && joinsEmpty(elements[0]))
        }
    }

    /// Whether an array element is written as `""` by `Array.prototype.join`.
    private static func joinsEmpty(_ value: JSONValue) -> Bool {
        switch value {
        case .null: true
        case .string(let s): s.isEmpty
        case .array(let elements): elements.allSatisfy(joinsEmpty) && elements.count <= 1
        case .number, .bool, .object: false
        }
    }

    /// An object's keys in the order JavaScript enumerates them: array indexes ascending, then the other keys.
    /// JavaScript gives those in insertion order, which a parsed ``JSONValue`` object does not keep; they come sorted.
    static func ownKeys(_ object: [String: JSONValue]) -> [String] {
        var indexes: [(Int, String)] = []
        var others: [String] = []
        for key in object.keys {
            if let index = propertyIndex(key) { indexes.append((index, key)) } else { others.append(key) }
        }
        return indexes.sorted { $0.0 < $1.0 }.map(\.1) + others.sorted()
    }

    /// `s.toLowerCase()`: Unicode's full lower-case mapping, with a capital sigma that ends a word becoming the final
    /// sigma (`"ΟΔΟΣ"` gives `"οδος"`), which Swift's `lowercased()` does not do.
    static func toLowerCase(_ s: String) -> String {
        let scalars = Array(s.unicodeScalars)
        guard scalars.contains("\u{03A3}") else { return s.lowercased() }
        var out = ""
        for (i, scalar) in scalars.enumerated() {
            if scalar == "\u{03A3}" {
                // Unicode's Final_Sigma: a cased letter before it and none after it, case-ignorable characters skipped.
                var j = i - 1
                while j >= 0, scalars[j].properties.isCaseIgnorable { j -= 1 }
                var k = i + 1
                while k < scalars.count, scalars[k].properties.isCaseIgnorable { k += 1 }
                if j >= 0, scalars[j].properties.isCased, !(k < scalars.count && scalars[k].properties.isCased) {
                    out.unicodeScalars.append("\u{03C2}")
                    continue
                }
            }
            out += scalar.properties.lowercaseMapping
        }
        return out
    }

    /// The integer index a property key names, which JavaScript enumerates first: a canonical decimal below 2³² − 1
    /// (`"0"`, `"4294967294"`; not `"01"` or `"4294967295"`).
    private static func propertyIndex(_ key: String) -> Int? {
        let digits = key.utf8
        guard let first = digits.first, digits.count <= 10, first != UInt8(ascii: "0") || digits.count == 1,
            let index = Int(key), index >= 0, index < 4_294_967_295, digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
        else { return nil }
        return index
    }

    /// `JSON.stringify(value)`: compact, keys in ``ownKeys(_:)`` order, numbers as `String(n)` (`null` when not
    /// finite), strings with `\"`, `\\`, `\b`, `\f`, `\n`, `\r`, `\t` and `\u00xx` for other control characters.
    ///
    /// - Parameter limit: the most UTF-8 bytes the result may hold; `nil` when it would hold more.
    static func stringify(_ value: JSONValue, limit: Int) -> String? {
        var out = ""
        func write(_ value: JSONValue) -> Bool {
            switch value {
            case .null: out += "null"
            case .bool(let b): out += b ? "true" : "false"
            case .number(let n):
                // Whole numbers below 10¹⁸ print as their digits in JavaScript too; numberToString is slower.
                out += !n.isFinite ? "null" : n.rounded() == n && abs(n) < 1e18 ? String(Int64(n)) : numberToString(n)
            case .string(let s): quote(s, into: &out)
            case .array(let elements):
                out += "["
                for (i, element) in elements.enumerated() {
                    if i > 0 { out += "," }
                    guard write(element) else { return false }
                }
                out += "]"
            case .object(let members):
                out += "{"
                for (i, key) in ownKeys(members).enumerated() {
                    if i > 0 { out += "," }
                    quote(key, into: &out)
                    out += ":"
                    guard write(members[key]!) else { return false }
                }
                out += "}"
            }
            return out.utf8.count <= limit
        }
        return write(value) ? out : nil
    }

    private static func quote(_ s: String, into out: inout String) {
        out += "\""
        // Most strings need no escape: copied in one go, scanned through a buffer (a UTF-8 view is slow in debug builds).
        var s = s
        if !s.withUTF8({ $0.contains { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") } }) {
            out += s
            out += "\""
            return
        }
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }

    /// `value.replace(new RegExp(escaped(pattern), flags), replacement)` for a pattern whose special characters are all
    /// escaped, so that it matches itself: the first match, or every match when `global`, in UTF-16 code units, compared
    /// case-insensitively as a non-Unicode regular expression does when `ignoreCase`. In `replacement`, `$$` is `$`,
    /// `$&` the match, `` $` `` the text before it and `$'` the text after it; any other `$` stands for itself
    /// (the pattern has no groups).
    ///
    /// - Parameter limit: the most UTF-16 code units the result may hold; `nil` when it would hold more
    ///   (`` $` `` in a global replacement grows quadratically).
    static func replace(
        _ value: String, pattern: String, replacement: String, global: Bool, ignoreCase: Bool, limit: Int
    ) -> String? {
        let s = Array(value.utf16)
        let p = Array(pattern.utf16)
        let r = Array(replacement.utf16)
        guard !p.isEmpty else { return value }
        var cache: [UInt16: UInt16] = [:]
        func fold(_ unit: UInt16) -> UInt16 { ignoreCase ? canonicalize(unit, cache: &cache) : unit }
        let folded = p.map(fold)
        var out: [UInt16] = []
        var copied = 0
        var i = 0
        while i + p.count <= s.count {
            guard (0..<p.count).allSatisfy({ fold(s[i + $0]) == folded[$0] }) else {
                i += 1
                continue
            }
            let end = i + p.count
            out += s[copied..<i]
            var k = 0
            while k < r.count {  // 0x24 "$", 0x26 "&", 0x60 "`", 0x27 "'"
                if r[k] == 0x24, k + 1 < r.count {
                    switch r[k + 1] {
                    case 0x24: out.append(r[k]); k += 2; continue
                    case 0x26: out += s[i..<end]; k += 2; continue
                    case 0x60: out += s[0..<i]; k += 2; continue
                    case 0x27: out += s[end...]; k += 2; continue
                    default: break
                    }
                }
                out.append(r[k])
                k += 1
            }
            guard out.count <= limit else { return nil }
            copied = end
            i = end
            if !global { break }
        }
        out += s[copied...]
        guard out.count <= limit else { return nil }
        return String(decoding: out, as: UTF16.self)
    }

    /// Canonicalize(ch) of a non-Unicode, case-insensitive regular expression: the code unit upper-cased when that
    /// gives one code unit, and not when it would map a non-ASCII unit to an ASCII one.
    private static func canonicalize(_ unit: UInt16, cache: inout [UInt16: UInt16]) -> UInt16 {
        if unit < 0x80 {
            return unit >= 0x61 && unit <= 0x7A ? unit - 0x20 : unit  // a-z
        }
        if let known = cache[unit] { return known }
        var result = unit
        if let scalar = Unicode.Scalar(unit) {
            let upper = Array(String(scalar).uppercased().utf16)
            if upper.count == 1, upper[0] >= 0x80 { result = upper[0] }
        }
        cache[unit] = result
        return result
    }
}
