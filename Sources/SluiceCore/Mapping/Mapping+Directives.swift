import Foundation

/// Resolution of the directives that take an options object, as Segment's mapping kit (packages/core/src/mapping-kit/index.ts)
/// computes them. Where Segment throws, these resolve to `nil`; ``Mapping/validate(_:field:)`` refuses those mappings.
/// "Truthy" below is JavaScript's truthiness of the option as written (not resolved), as Segment tests `opts.value`.
extension Mapping {
    /// The options object of a directive, `nil` when the argument is not an object.
    private static func options(_ argument: JSONValue) -> [String: JSONValue]? {
        if case .object(let options) = argument { options } else { nil }
    }

    /// `@case`: `value` resolved, lower- or upper-cased when it is a string, else as it is. `nil` without a truthy
    /// `operator` or `value`, or when the string meets an operator other than `lower` and `upper`.
    static func resolveCase(_ argument: JSONValue, in event: JSONValue, budget: inout Int) -> JSONValue? {
        guard let options = options(argument), JavaScript.isTruthy(options["operator"]), let mapping = options["value"],
            JavaScript.isTruthy(mapping)
        else { return nil }
        let value = resolve(mapping, in: event, budget: &budget)
        guard case .string(let string)? = value else { return value }
        switch options["operator"] {
        case .string("lower")?: return spend(.string(JavaScript.toLowerCase(string)), &budget)
        case .string("upper")?: return spend(.string(string.uppercased()), &budget)
        default: return nil
        }
    }

    /// Segment's longest `@replace` pattern and replacement, in UTF-16 code units.
    static let maxReplacePatternLength = 10

    /// `@replace`: `value` resolved (a boolean or number as `String(value)`), with `pattern` replaced by `replacement`
    /// (default `""`), then `pattern2` by `replacement2` when given; `ignorecase` (default false) and `global` (default
    /// true) apply to both. A value that is not a string (`null`, missing, an object) gives `""`, as in Segment.
    /// `nil` without a truthy `pattern` or `value`, or with a pattern or replacement over 10 code units.
    static func resolveReplace(_ argument: JSONValue, in event: JSONValue, budget: inout Int) -> JSONValue? {
        guard let options = options(argument), JavaScript.isTruthy(options["pattern"]), let mapping = options["value"],
            JavaScript.isTruthy(mapping)
        else { return nil }
        func option(_ key: String, default fallback: JSONValue) -> JSONValue {
            switch options[key] {
            case nil, .null?: fallback
            case let value?: value
            }
        }
        let replacement = option("replacement", default: .string(""))
        let pattern2 = options["pattern2"].flatMap { JavaScript.isTruthy($0) ? $0 : nil }
        let replacement2 = option("replacement2", default: pattern2 == nil ? .null : .string(""))
        var value = resolve(mapping, in: event, budget: &budget)
        switch value {
        case .bool(let b)?: value = .string(b ? "true" : "false")
        case .number(let n)?: value = .string(JavaScript.numberToString(n))
        default: break
        }
        guard case .string(let string)? = value, case .string(let pattern)? = options["pattern"],
            case .string(let replacementText) = replacement, case .bool(let ignoreCase) = option("ignorecase", default: .bool(false)),
            case .bool(let global) = option("global", default: .bool(true))
        else { return spend(.string(""), &budget) }
        func replace(_ text: String, _ pattern: String, _ replacement: String) -> String? {
            guard pattern.utf16.count <= maxReplacePatternLength, replacement.utf16.count <= maxReplacePatternLength else { return nil }
            return JavaScript.replace(text, pattern: pattern, replacement: replacement, global: global, ignoreCase: ignoreCase, limit: max(budget, 0))
        }
        guard var result = replace(string, pattern, replacementText) else { return nil }
        if case .string(let pattern2)? = pattern2, case .string(let replacement2) = replacement2 {
            guard let second = replace(result, pattern2, replacement2) else { return nil }
            result = second
        }
        return spend(.string(result), &budget)
    }

    /// `@flatten`: `value` resolved and flattened into one object whose keys join the nested keys with `separator`
    /// (array indexes too, unless `omitArrays` is truthy). A value that is neither object nor array gives `{"": value}`
    /// (`{}` when it is missing). `nil` without a truthy `separator`, or one that does not resolve to a string.
    static func resolveFlatten(_ argument: JSONValue, in event: JSONValue, budget: inout Int) -> JSONValue? {
        guard let options = options(argument), let separatorMapping = options["separator"], JavaScript.isTruthy(separatorMapping),
            case .string(let separator)? = resolve(separatorMapping, in: event, budget: &budget)
        else { return nil }
        let value = options["value"].flatMap { resolve($0, in: event, budget: &budget) }
        let omitArrays = JavaScript.isTruthy(options["omitArrays"])
        var result: [String: JSONValue] = [:]
        // Each key is new text, paid for as it is built: a deep value with many members makes keys far longer than
        // the value they came from (the leaves were paid for when the value was resolved).
        func flatten(_ value: JSONValue?, prefix: String) -> Bool {
            let members: [(String, JSONValue)]
            switch value {
            case .object(let object)?: members = JavaScript.ownKeys(object).map { ($0, object[$0]!) }
            case .array(let array)? where !omitArrays: members = array.enumerated().map { (String($0.offset), $0.element) }
            default:
                budget -= 4
                if let value { result[prefix] = value }
                return budget >= 0
            }
            for (key, member) in members {
                let joined = prefix.isEmpty ? key : prefix + separator + key
                budget -= joined.utf8.count
                guard budget >= 0, flatten(member, prefix: joined) else { return false }
            }
            return true
        }
        return flatten(value, prefix: "") ? .object(result) : nil
    }

    /// `@json`: `value` resolved, then with `mode` `encode` as `JSON.stringify` writes it (nothing when the value is
    /// missing), with `decode` a string parsed as JSON (the string itself when it is not JSON) and any other value as
    /// it is. `nil` without a truthy `mode` or `value`, or with another mode (`"Encode"` included).
    static func resolveJSON(_ argument: JSONValue, in event: JSONValue, budget: inout Int) -> JSONValue? {
        guard let options = options(argument), JavaScript.isTruthy(options["mode"]), let mapping = options["value"],
            JavaScript.isTruthy(mapping)
        else { return nil }
        let value = resolve(mapping, in: event, budget: &budget)
        switch options["mode"] {
        case .string("encode")?:
            guard let value else { return nil }
            guard let encoded = JavaScript.stringify(value, limit: max(budget, 0)) else {
                budget = -1
                return nil
            }
            return spend(.string(encoded), &budget)
        case .string("decode")?:
            // The parsed value is no larger than the string, which was paid for.
            guard case .string(let string)? = value, let parsed = try? JSONValue.parseAsJavaScript(string) else { return value }
            return parsed
        default:
            return nil
        }
    }

    /// `@merge`: `Object.assign({}, ...objects)`, each of `objects` resolved; with `direction` `left` the first object
    /// wins, otherwise the last. A member of a plain object that resolves to nothing removes the key, as Segment's
    /// `undefined` overwrites and is then dropped. An array or string merges its indexes; other values are skipped.
    /// `nil` without a truthy `direction`, or without an array of `objects`.
    static func resolveMerge(_ argument: JSONValue, in event: JSONValue, budget: inout Int) -> JSONValue? {
        guard let options = options(argument), let directionMapping = options["direction"], JavaScript.isTruthy(directionMapping),
            case .array(let objects)? = options["objects"]
        else { return nil }
        let direction = resolve(directionMapping, in: event, budget: &budget)
        // In Segment's order (reversed for left), later objects overwriting earlier ones; keys are paid for as merged.
        var result: [String: JSONValue] = [:]
        func merge(_ key: String, _ value: JSONValue?) -> Bool {
            budget -= key.utf8.count + 4
            result[key] = value
            return budget >= 0
        }
        for object in direction == .string("left") ? objects.reversed() : objects {
            guard budget >= 0 else { return nil }
            if case .object(let members) = object, !isDirective(object) {
                for key in JavaScript.ownKeys(members) {
                    guard merge(key, resolve(members[key]!, in: event, budget: &budget)) else { return nil }
                }
                continue
            }
            switch resolve(object, in: event, budget: &budget) {
            case .object(let members)?:
                for key in JavaScript.ownKeys(members) {
                    guard merge(key, members[key]) else { return nil }
                }
            case .array(let elements)?:
                for (index, element) in elements.enumerated() {
                    guard merge(String(index), element) else { return nil }
                }
            case .string(let string)?:
                for (index, unit) in string.utf16.enumerated() {
                    let character = unit < 0x80 ? asciiStrings[Int(unit)] : .string(String(decoding: [unit], as: UTF16.self))
                    guard merge(String(index), character) else { return nil }
                }
            default: break
            }
        }
        return budget >= 0 ? .object(result) : nil
    }

    /// The one-character strings of ASCII, made once: `@merge` of a long string makes one per character.
    private static let asciiStrings: [JSONValue] = (0..<128).map { .string(String(UnicodeScalar(UInt8($0)))) }

    /// `@transform`: `apply` resolved against the event gives a new event, which `mapping` is resolved against.
    /// `nil` without truthy `apply` and `mapping`, when `apply` is not an object (a directive is one), or when the
    /// event is not an object (an `@arrayPath` element may not be).
    static func resolveTransform(_ argument: JSONValue, in event: JSONValue, budget: inout Int) -> JSONValue? {
        guard let options = options(argument), let mapping = options["mapping"], JavaScript.isTruthy(mapping),
            case .object? = options["apply"], case .object = event
        else { return nil }
        // Segment's payload is then `undefined`, which every path finds nothing in; `null` is the closest value.
        let payload = resolve(options["apply"]!, in: event, budget: &budget) ?? .null
        guard budget >= 0 else { return nil }
        return resolve(mapping, in: payload, budget: &budget)
    }

    /// `@excludeWhenNull`: its argument resolved; nothing when that is `null`, else with every `null` member of an
    /// object removed, in nested objects too (not inside arrays).
    static func resolveExcludeWhenNull(_ argument: JSONValue, in event: JSONValue, budget: inout Int) -> JSONValue? {
        // Each member visited costs a byte: `@excludeWhenNull` nested 500 deep walks its value 500 times.
        func clean(_ value: JSONValue) -> JSONValue {
            guard case .object(let members) = value else { return value }
            budget -= members.count
            guard budget >= 0 else { return value }
            return .object(members.filter { $0.value != .null }.mapValues(clean))
        }
        switch resolve(argument, in: event, budget: &budget) {
        case nil, .null?: return nil
        case let value?:
            let cleaned = clean(value)
            return budget >= 0 ? cleaned : nil
        }
    }
}
