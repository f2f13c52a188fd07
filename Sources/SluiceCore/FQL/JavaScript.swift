import Foundation

/// The few JavaScript conversions Segment's trigger evaluator relies on, so that Sluice computes what
/// Node computes: `String(number)`, `Number(string)`, truthiness and property access on JSON values.
public enum JavaScript {
    /// A value as property access in JavaScript sees it: `undefined`, a built-in method (a function inherited
    /// from a prototype, such as `toString`), or a JSON value.
    enum Value: Sendable, Hashable {
        case undefined
        case builtin
        case json(JSONValue)

        /// JavaScript's truthiness: `undefined`, `null`, `false`, `0`, `NaN` and `""` are falsy.
        var isTruthy: Bool {
            switch self {
            case .undefined, .json(.null), .json(.bool(false)): false
            case .json(.number(let n)): !(n == 0 || n.isNaN)
            case .json(.string(let s)): !s.isEmpty
            default: true
            }
        }

        /// `value[key]` for a truthy value, own members first, then the members its prototype chain gives it.
        func member(_ key: String) -> Value {
            switch self {
            case .undefined, .json(.null): return .undefined
            case .builtin: return JavaScript.functionPrototype.contains(key) ? .builtin : .undefined
            case .json(.object(let object)):
                if let value = object[key] { return .json(value) }
                return JavaScript.objectPrototype.contains(key) ? .builtin : .undefined
            case .json(.array(let array)):
                if let index = JavaScript.arrayIndex(key) { return index < array.count ? .json(array[index]) : .undefined }
                if key == "length" { return .json(.number(Double(array.count))) }
                return JavaScript.arrayPrototype.contains(key) ? .builtin : .undefined
            case .json(.string(let string)):
                let units = string.utf16
                if let index = JavaScript.arrayIndex(key) {
                    guard index < units.count else { return .undefined }
                    let unit = units[units.index(units.startIndex, offsetBy: index)]
                    return .json(.string(String(decoding: [unit], as: UTF16.self)))
                }
                if key == "length" { return .json(.number(Double(units.count))) }
                return JavaScript.stringPrototype.contains(key) ? .builtin : .undefined
            case .json(.number):
                return JavaScript.numberPrototype.contains(key) ? .builtin : .undefined
            case .json(.bool):
                return JavaScript.booleanPrototype.contains(key) ? .builtin : .undefined
            }
        }
    }

    /// The array index a key names: a canonical decimal (`0`, `7`, `12`, not `07`, `+1` or `-1`).
    static func arrayIndex(_ key: String) -> Int? {
        let digits = key.utf8
        guard let first = digits.first, digits.count < 10, digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            first != UInt8(ascii: "0") || digits.count == 1
        else { return nil }
        return Int(key)
    }

    // Inherited members, by prototype (Node 20). Own members of a JSON object come first.
    static let objectPrototype: Set<String> = [
        "constructor", "__proto__", "hasOwnProperty", "isPrototypeOf", "propertyIsEnumerable", "toString", "valueOf",
        "toLocaleString", "__defineGetter__", "__defineSetter__", "__lookupGetter__", "__lookupSetter__",
    ]
    static let arrayPrototype: Set<String> = objectPrototype.union([
        "at", "concat", "copyWithin", "entries", "every", "fill", "filter", "find", "findIndex", "findLast", "findLastIndex",
        "flat", "flatMap", "forEach", "includes", "indexOf", "join", "keys", "lastIndexOf", "map", "pop", "push", "reduce",
        "reduceRight", "reverse", "shift", "slice", "some", "sort", "splice", "toReversed", "toSorted", "toSpliced",
        "unshift", "values", "with",
    ])
    static let stringPrototype: Set<String> = objectPrototype.union([
        "anchor", "at", "big", "blink", "bold", "charAt", "charCodeAt", "codePointAt", "concat", "endsWith", "fixed",
        "fontcolor", "fontsize", "includes", "indexOf", "isWellFormed", "italics", "lastIndexOf", "link", "localeCompare",
        "match", "matchAll", "normalize", "padEnd", "padStart", "repeat", "replace", "replaceAll", "search", "slice", "small",
        "split", "startsWith", "strike", "sub", "substr", "substring", "sup", "toLocaleLowerCase", "toLocaleUpperCase",
        "toLowerCase", "toUpperCase", "toWellFormed", "trim", "trimEnd", "trimLeft", "trimRight", "trimStart",
    ])
    static let numberPrototype: Set<String> = objectPrototype.union(["toExponential", "toFixed", "toPrecision"])
    static let booleanPrototype: Set<String> = objectPrototype
    static let functionPrototype: Set<String> = objectPrototype.union(["apply", "bind", "call"])

    /// JavaScript's truthiness of a JSON value: `null`, `false`, `0`, `NaN` and `""` are falsy.
    public static func isTruthy(_ value: JSONValue) -> Bool {
        Value.json(value).isTruthy
    }

    /// `Math.round(n)`: the nearest integer, halves rounded up (`-2.5` is `-2`).
    public static func round(_ n: Double) -> Double {
        guard n.isFinite else { return n }
        return (n + 0.5).rounded(.down)
    }

    /// `String(n)`: the shortest digits that read back as `n`, laid out by JavaScript's rules
    /// (`100`, `1.5`, `0.000001`, `1e-7`, `1e+21`).
    public static func numberToString(_ n: Double) -> String {
        if n.isNaN { return "NaN" }
        if n.isInfinite { return n < 0 ? "-Infinity" : "Infinity" }
        if n == 0 { return "0" }
        // Swift's description is the shortest round-trip form too; take its digits and decimal exponent.
        let text = abs(n).description
        let parts = text.split(separator: "e", maxSplits: 1)
        let exponent = parts.count == 2 ? Int(parts[1]) ?? 0 : 0
        let mantissa = parts[0].split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        var digits = Array(mantissa[0].utf8) + (mantissa.count == 2 ? Array(mantissa[1].utf8) : [])
        var point = exponent + mantissa[0].utf8.count  // value = 0.digits × 10^point
        while digits.first == UInt8(ascii: "0") {
            digits.removeFirst()
            point -= 1
        }
        while digits.last == UInt8(ascii: "0") { digits.removeLast() }
        let d = String(decoding: digits, as: UTF8.self)
        let k = digits.count
        let sign = n < 0 ? "-" : ""
        if k <= point, point <= 21 { return sign + d + String(repeating: "0", count: point - k) }
        if 0 < point, point <= 21 { return sign + d.prefix(point) + "." + d.dropFirst(point) }
        if -6 < point, point <= 0 { return sign + "0." + String(repeating: "0", count: -point) + d }
        let e = point - 1
        let head = k == 1 ? d : d.prefix(1) + "." + d.dropFirst()
        return sign + head + "e" + (e < 0 ? "-" : "+") + String(abs(e))
    }

    /// `Number(s)`: white space trimmed, empty is 0, decimal with optional sign, fraction and exponent,
    /// `Infinity`, or `0x`/`0o`/`0b` integers; anything else is NaN.
    public static func stringToNumber(_ s: String) -> Double {
        let trimmed = s.unicodeScalars.drop(while: isWhitespace).reversed().drop(while: isWhitespace).reversed()
        let text = String(String.UnicodeScalarView(trimmed))
        if text.isEmpty { return 0 }
        switch text {
        case "Infinity", "+Infinity": return .infinity
        case "-Infinity": return -.infinity
        default: break
        }
        let bytes = Array(text.utf8)
        if bytes.count > 2, bytes[0] == UInt8(ascii: "0") {
            let radix: Int? =
                switch bytes[1] {
                case UInt8(ascii: "x"), UInt8(ascii: "X"): 16
                case UInt8(ascii: "o"), UInt8(ascii: "O"): 8
                case UInt8(ascii: "b"), UInt8(ascii: "B"): 2
                default: nil
                }
            if let radix {
                var value = 0.0
                for byte in bytes.dropFirst(2) {
                    guard let digit = Int(String(UnicodeScalar(byte)), radix: radix) else { return .nan }
                    value = value * Double(radix) + Double(digit)
                }
                return value
            }
        }
        guard isDecimalLiteral(bytes) else { return .nan }
        var normalized = text
        if normalized.hasSuffix(".") { normalized += "0" }
        if let dot = normalized.firstIndex(of: "."), dot == normalized.startIndex || "+-".contains(normalized[normalized.index(before: dot)]) {
            normalized.insert("0", at: dot)
        }
        if let eIndex = normalized.firstIndex(where: { $0 == "e" || $0 == "E" }), normalized[normalized.index(before: eIndex)] == "." {
            normalized.insert("0", at: eIndex)
        }
        return Double(normalized) ?? .nan
    }

    /// `[+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)?`
    private static func isDecimalLiteral(_ bytes: [UInt8]) -> Bool {
        var i = 0
        func digits() -> Int {
            let start = i
            while i < bytes.count, bytes[i] >= UInt8(ascii: "0"), bytes[i] <= UInt8(ascii: "9") { i += 1 }
            return i - start
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
        var count = digits()
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            i += 1
            count += digits()
        }
        guard count > 0 else { return false }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            guard digits() > 0 else { return false }
        }
        return i == bytes.count
    }

    /// JavaScript's white space and line terminators, which `Number` trims.
    private static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000, 0xFEFF:
            true
        default: false
        }
    }
}
