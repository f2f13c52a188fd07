import Foundation

extension Mapping {
    /// Checks a field's mapping when settings are saved: every directive known, well formed, with arguments of the right type.
    ///
    /// Plain values are always valid; objects and arrays are checked member by member, so a directive may sit at any
    /// depth. A directive object has exactly one `@` key and no other key (but Segment's `_metadata`, which is ignored).
    ///
    /// - Parameters:
    ///   - value: The mapping, e.g. `{"@path": "$.properties.revenue"}`.
    ///   - field: The action field's key; errors name `settings.<field>`.
    /// - Throws: ``ValidationError`` (422, `field` `settings.<field>`) whose message names the place inside the
    ///   mapping (`settings.data.user.@if.then`) and what was wrong: an unknown directive, a directive object with
    ///   more than one key, an argument of the wrong type, a path that cannot be parsed. Where Segment's
    ///   validate.ts has a message for the fault, the wording is Segment's (`should be a string or a mapping
    ///   directive but it is a number`), after the place.
    public static func validate(_ value: JSONValue, field: String) throws(ValidationError) {
        try validate(value, location: "settings.\(field)", field: "settings.\(field)")
    }

    /// Checks a mapping on its own (`sluice mapping eval`); messages name places inside it from `root`
    /// (`mapping.user.@if.then`).
    public static func validate(_ value: JSONValue, root: String) throws(ValidationError) {
        try validate(value, location: root, field: root)
    }

    /// Checks a mapping found at `location` (used for messages); errors carry `field`.
    static func validate(_ value: JSONValue, location: String, field: String) throws(ValidationError) {
        switch value {
        case .object(let members):
            if isDirective(value) {
                try validateDirective(members, location: location, field: field)
            } else {
                for key in members.keys.sorted() {
                    try validate(members[key]!, location: "\(location).\(key)", field: field)
                }
            }
        case .array(let elements):
            for (index, element) in elements.enumerated() {
                try validate(element, location: "\(location)[\(index)]", field: field)
            }
        case .null, .bool, .number, .string:
            return
        }
    }

    private static func validateDirective(_ members: [String: JSONValue], location: String, field: String) throws(ValidationError) {
        func fail(_ message: String) -> ValidationError { ValidationError(message, field: field) }

        let names = members.keys.filter { $0.hasPrefix("@") }.sorted()
        guard names.count == 1 else {
            let list = names.map { "\"\($0)\"" }.joined(separator: ", ")
            throw fail("\(location) should only have one @-prefixed key but it has \(names.count) keys (\(list))")
        }
        let name = names[0]
        let others = members.keys.filter { !$0.hasPrefix("@") && $0 != metadataKey }.sorted()
        guard others.isEmpty else {
            let list = others.map { "\"\($0)\"" }.joined(separator: ", ")
            throw fail("\(location) should only have one @-prefixed key but it has \(members.count) keys (\"\(name)\" and \(list))")
        }
        let argument = members[name]!
        let here = "\(location).\(name)"
        switch name {
        case "@path":
            try validatePathArgument(argument, location: here, field: field)
        case "@template":
            switch argument {
            case .string(let template):
                if let (source, error) = MappingTemplate(template).invalidPlaceholder {
                    throw fail("\(here) has a placeholder that is not a valid path ({{\(source)}}): \(error.message)")
                }
            case _ where isDirective(argument):
                try validate(argument, location: here, field: field)
            default:
                throw fail("\(here) should be a string or a mapping directive but it is \(segmentType(argument))")
            }
        case "@literal":
            try validate(argument, location: here, field: field)
        case "@if":
            guard case .object(let options) = argument, !isDirective(argument) else {
                throw fail("\(here) should be an object but it is \(segmentType(argument))")
            }
            let allowed = ["exists", "blank", "then", "else"]
            if let unknown = options.keys.sorted().first(where: { !allowed.contains($0) }) {
                throw fail("\(here) has an unknown key \"\(unknown)\"; it takes \"exists\" or \"blank\", \"then\" and \"else\"")
            }
            if options["exists"] != nil, options["blank"] != nil {
                throw fail("\(here) has both \"exists\" and \"blank\"; it takes one condition")
            }
            // Segment throws on every event when neither condition is truthy (`exists: null` included).
            guard JavaScript.isTruthy(options["exists"]) || JavaScript.isTruthy(options["blank"]) else {
                throw fail("\(here) requires an \"exists\" key or a \"blank\" key")
            }
            guard options["then"] != nil || options["else"] != nil else { throw fail("\(here) needs \"then\", \"else\" or both") }
            for key in allowed {
                if let option = options[key] { try validate(option, location: "\(here).\(key)", field: field) }
            }
        case "@arrayPath":
            guard case .array(let elements) = argument else {
                throw fail("\(here) should be an array but it is \(segmentType(argument))")
            }
            guard (1...2).contains(elements.count) else {
                throw fail("\(here) must have one or two elements (a path and an optional shape), found \(elements.count)")
            }
            try validatePathArgument(elements[0], location: "\(here)[0]", field: field)
            if elements.count == 2 {
                switch elements[1] {
                case .object, .null: try validate(elements[1], location: "\(here)[1]", field: field)
                default: throw fail("\(here)[1] must be an object, a directive or null, found \(describe(elements[1]))")
                }
            }
        case "@case", "@replace", "@flatten", "@json", "@merge", "@transform":
            try validateOptionsDirective(name, argument, location: here, field: field)
        case "@excludeWhenNull":
            try validate(argument, location: here, field: field)
        default:
            let supported = supportedDirectives.dropLast().joined(separator: ", ") + " and " + supportedDirectives.last!
            if unsupportedSegmentDirectives.contains(name) {
                throw fail("\(location) uses \"\(name)\", a Segment directive that Sluice does not support; Sluice supports \(supported)")
            }
            throw fail("\(location) has an invalid directive: \(name); Sluice supports \(supported)")
        }
    }

    /// A path argument: a parseable path string, or a directive that gives one when resolved.
    private static func validatePathArgument(_ argument: JSONValue, location: String, field: String) throws(ValidationError) {
        switch argument {
        case .string(let path):
            do {
                _ = try MappingPath(parsing: path)
            } catch {
                throw ValidationError("\(location) \"\(path)\" is not a valid path: \(error.message)", field: field)
            }
        case _ where isDirective(argument):
            try validate(argument, location: location, field: field)
        default:
            throw ValidationError(
                "\(location) should be a string or a mapping directive but it is \(segmentType(argument))",
                field: field
            )
        }
    }

    /// A value's JSON type with its article, for messages: `a string`, `an object`, `null`.
    static func describe(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .array: "an array"
        case .object: "an object"
        default: "a \(value.typeName)"
        }
    }
}
