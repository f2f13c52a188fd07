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
        withNumberText(n) { String(decoding: $0, as: UTF8.self) }
    }

    /// Calls `body` with the UTF-8 bytes of ``numberToString(_:)``, laid out in a buffer on the stack rather than in a
    /// string (the JSON writer and the size of a message both need them, for every number that is not whole).
    public static func withNumberText<R>(_ n: Double, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if n.isNaN { return ("NaN" as StaticString).withUTF8Buffer(body) }
        if n.isInfinite { return (n < 0 ? "-Infinity" as StaticString : "Infinity").withUTF8Buffer(body) }
        if n == 0 { return ("0" as StaticString).withUTF8Buffer(body) }
        // Swift's description is the shortest round-trip form too (`1.5`, `1e-07`, `1.5e+16`); take its digits and
        // decimal exponent.
        var description = abs(n).description
        return description.withUTF8 { source in
            // Bytes 0..<32 hold the significant digits (at most 17), 32..<64 the text (at most 25 bytes).
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 64) { buffer in
                let (zero, dot, e) = (UInt8(ascii: "0"), UInt8(ascii: "."), UInt8(ascii: "e"))
                // value = 0.digits × 10^point
                var (k, point, afterDot, i) = (0, 0, false, 0)
                while i < source.count, source[i] != e {
                    let byte = source[i]
                    if byte == dot {
                        afterDot = true
                    } else if k == 0, byte == zero {
                        if afterDot { point -= 1 }
                    } else {
                        buffer[k] = byte
                        k += 1
                        if !afterDot { point += 1 }
                    }
                    i += 1
                }
                if i < source.count {
                    var (exponent, negative) = (0, false)
                    for byte in source[(i + 1)...] {
                        if byte == UInt8(ascii: "-") {
                            negative = true
                        } else if byte != UInt8(ascii: "+") {
                            exponent = exponent * 10 + Int(byte - zero)
                        }
                    }
                    point += negative ? -exponent : exponent
                }
                while k > 0, buffer[k - 1] == zero { k -= 1 }

                var end = 32
                func put(_ byte: UInt8) {
                    buffer[end] = byte
                    end += 1
                }
                func put(digits range: Range<Int>) { for index in range { put(buffer[index]) } }
                if n < 0 { put(UInt8(ascii: "-")) }
                if k <= point, point <= 21 {
                    put(digits: 0..<k)
                    for _ in k..<point { put(zero) }
                } else if 0 < point, point <= 21 {
                    put(digits: 0..<point)
                    put(dot)
                    put(digits: point..<k)
                } else if -6 < point, point <= 0 {
                    put(zero)
                    put(dot)
                    for _ in 0..<(-point) { put(zero) }
                    put(digits: 0..<k)
                } else {
                    put(digits: 0..<1)
                    if k > 1 {
                        put(dot)
                        put(digits: 1..<k)
                    }
                    put(e)
                    let exponent = point - 1
                    put(exponent < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
                    let start = end
                    var rest = exponent.magnitude
                    repeat {
                        put(zero + UInt8(rest % 10))
                        rest /= 10
                    } while rest > 0
                    buffer[start..<end].reverse()
                }
                return body(UnsafeBufferPointer(rebasing: buffer[32..<end]))
            }
        }
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
