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
        // The checks are in their own function, off the path of the recursion: in a debug build one function holding
        // them all took 8 KB of stack per level of nesting.
        try check.options(of: name, options)
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

        /// The directive's own checks of its options (the members are checked as mappings after).
        func options(of name: String, _ options: [String: JSONValue]) throws(ValidationError) {
            func truthy(_ key: String) -> Bool { JavaScript.isTruthy(options[key]) }
            switch name {
            case "@case":
                if let value = options["operator"] { try string(value, at: "operator") }
                if let value = options["value"] { try directiveOrString(value, at: "value") }
                guard truthy("operator") else { throw fail(#"requires a "operator" key"#) }
                guard options["operator"] == .string("lower") || options["operator"] == .string("upper") else {
                    throw fail(#".operator key should have a value of "lower" or "upper""#, joined: "")
                }
            case "@replace":
                try string(required(options, "pattern"), at: "pattern", length: 1...maxReplacePatternLength)
                if let value = options["replacement"] { try string(value, at: "replacement", length: 0...maxReplacePatternLength) }
                try directiveOrString(required(options, "value"), at: "value")
                if let value = options["ignorecase"] { try boolean(value, at: "ignorecase") }
                if let value = options["global"] { try boolean(value, at: "global") }
                // Not checked by Segment's validation, but its resolution throws on them for every event.
                if truthy("pattern2"), case .string? = options["pattern2"] {
                    try string(options["pattern2"]!, at: "pattern2", length: 0...maxReplacePatternLength)
                }
                if truthy("pattern2"), case .string? = options["replacement2"] {
                    try string(options["replacement2"]!, at: "replacement2", length: 0...maxReplacePatternLength)
                }
            case "@flatten":
                if let value = options["separator"] { try string(value, at: "separator") }
                _ = try required(options, "value")
                guard truthy("separator") else { throw fail(#"requires a "separator" key"#) }
            case "@json":
                _ = try required(options, "value")
                try oneOf(required(options, "mode"), at: "mode", ["encode", "decode"])
                guard truthy("value") else { throw fail(#"requires a "value" key"#) }
            case "@merge":
                if let value = options["direction"] { try oneOf(value, at: "direction", ["left", "right"]) }
                let objects = try required(options, "objects")
                guard case .array(let elements) = objects else {
                    throw fail("should be an array but it is \(segmentType(objects))", at: "objects")
                }
                for (index, element) in elements.enumerated() { try directiveOrObject(element, at: "objects[\(index)]") }
                guard truthy("direction") else { throw fail(#"requires a "direction" key"#) }
            default:  // @transform
                try directiveOrObject(required(options, "apply"), at: "apply")
                try directiveOrObject(required(options, "mapping"), at: "mapping")
            }
        }

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
