import Foundation

/// Validation of the directives that take an options object (`@case`, `@replace`, `@flatten`, `@json`, `@merge`,
/// `@transform`): Segment's rules and wording (packages/core/src/mapping-kit/validate.ts), with the place named the
/// Sluice way (`settings.data.@replace.pattern should be a string of length 10 or less`).
///
/// Sluice also refuses what Segment's validation lets through but its resolution throws on for every event (an
/// `@case` without `operator`, an `@flatten` without `separator`, ...), with the message Segment throws.
extension Mapping {
    static func validateOptionsDirective(_ name: String, _ argument: JSONValue, location here: String, field: String) throws(ValidationError) {
        let check = OptionsCheck(location: here, field: field)
        let options = try check.object(argument)
        func truthy(_ key: String) -> Bool { JavaScript.isTruthy(options[key]) }
        switch name {
        case "@case":
            if let value = options["operator"] { try check.string(value, at: "operator") }
            if let value = options["value"] { try check.directiveOrString(value, at: "value") }
            guard truthy("operator") else { throw check.fail(#"requires a "operator" key"#) }
            guard options["operator"] == .string("lower") || options["operator"] == .string("upper") else {
                throw check.fail(#".operator key should have a value of "lower" or "upper""#, joined: "")
            }
        case "@replace":
            try check.string(check.required(options, "pattern"), at: "pattern", length: 1...maxReplacePatternLength)
            if let value = options["replacement"] { try check.string(value, at: "replacement", length: 0...maxReplacePatternLength) }
            try check.directiveOrString(check.required(options, "value"), at: "value")
            if let value = options["ignorecase"] { try check.boolean(value, at: "ignorecase") }
            if let value = options["global"] { try check.boolean(value, at: "global") }
            // Not checked by Segment's validation, but its resolution throws on them for every event.
            if truthy("pattern2"), case .string? = options["pattern2"] {
                try check.string(options["pattern2"]!, at: "pattern2", length: 0...maxReplacePatternLength)
            }
            if truthy("pattern2"), case .string? = options["replacement2"] {
                try check.string(options["replacement2"]!, at: "replacement2", length: 0...maxReplacePatternLength)
            }
        case "@flatten":
            if let value = options["separator"] { try check.string(value, at: "separator") }
            _ = try check.required(options, "value")
            guard truthy("separator") else { throw check.fail(#"requires a "separator" key"#) }
        case "@json":
            _ = try check.required(options, "value")
            try check.oneOf(check.required(options, "mode"), at: "mode", ["encode", "decode"])
            guard truthy("value") else { throw check.fail(#"requires a "value" key"#) }
        case "@merge":
            if let value = options["direction"] { try check.oneOf(value, at: "direction", ["left", "right"]) }
            let objects = try check.required(options, "objects")
            guard case .array(let elements) = objects else {
                throw check.fail("should be an array but it is \(segmentType(objects))", at: "objects")
            }
            for (index, element) in elements.enumerated() { try check.directiveOrObject(element, at: "objects[\(index)]") }
            guard truthy("direction") else { throw check.fail(#"requires a "direction" key"#) }
        default:  // @transform
            try check.directiveOrObject(check.required(options, "apply"), at: "apply")
            try check.directiveOrObject(check.required(options, "mapping"), at: "mapping")
        }
        // Segment validates every member of the options as a mapping, the ones it does not read too.
        for key in options.keys.sorted() { try validate(options[key]!, location: "\(here).\(key)", field: field) }
    }

    /// A value's type as Segment's messages name it, with its article: `a string`, `an object`, `a directive`, `a null`.
    static func segmentType(_ value: JSONValue) -> String {
        switch value {
        case .array: "an array"
        case .object: isDirective(value) ? "a directive" : "an object"
        default: "a \(value.typeName)"
        }
    }

    /// The checks of Segment's validate.ts, each naming the place under the directive's location.
    private struct OptionsCheck {
        let location: String
        let field: String

        func fail(_ message: String, at key: String? = nil, joined separator: String = " ") -> ValidationError {
            ValidationError("\(location)\(key.map { ".\($0)" } ?? "")\(separator)\(message)", field: field)
        }

        func object(_ value: JSONValue) throws(ValidationError) -> [String: JSONValue] {
            guard case .object(let members) = value, !isDirective(value) else {
                throw fail("should be an object but it is \(segmentType(value))")
            }
            return members
        }

        func required(_ options: [String: JSONValue], _ key: String) throws(ValidationError) -> JSONValue {
            guard let value = options[key] else { throw fail("should have field \"\(key)\" but it doesn't") }
            return value
        }

        func string(_ value: JSONValue, at key: String, length: ClosedRange<Int>? = nil) throws(ValidationError) {
            guard case .string(let string) = value else { throw fail("should be a string but it is \(segmentType(value))", at: key) }
            guard let length else { return }
            let count = string.utf16.count
            if count < length.lowerBound { throw fail("should be a string of length \(length.lowerBound) or greater", at: key) }
            if count > length.upperBound { throw fail("should be a string of length \(length.upperBound) or less", at: key) }
        }

        func boolean(_ value: JSONValue, at key: String) throws(ValidationError) {
            guard case .bool = value else { throw fail("should be a boolean but it is \(segmentType(value))", at: key) }
        }

        func oneOf(_ value: JSONValue, at key: String, _ allowed: [String]) throws(ValidationError) {
            try string(value, at: key)
            guard case .string(let string) = value, allowed.contains(string.lowercased()) else {
                let written = JavaScript.stringify(value, limit: .max) ?? ""
                throw fail("should be one of \(allowed.joined(separator: ", ")) but it is \(written)", at: key)
            }
        }

        func directiveOrString(_ value: JSONValue, at key: String) throws(ValidationError) {
            if case .string = value { return }
            guard isDirective(value) else { throw fail("should be a string or a mapping directive but it is \(segmentType(value))", at: key) }
        }

        func directiveOrObject(_ value: JSONValue, at key: String) throws(ValidationError) {
            guard case .object = value else {
                throw fail("should be a object or a mapping directive but it is \(segmentType(value))", at: key)
            }
        }
    }
}
