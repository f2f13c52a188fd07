import Foundation

extension Mapping {
    /// Applies a mapping to an event at delivery.
    ///
    /// - Plain values stand for themselves. In objects and arrays each member is resolved; members that resolve to
    ///   nothing are left out (a `null` stays).
    /// - `@path`: the value at the path, or `nil` when the event has nothing there.
    /// - `@template`: the template with placeholders filled; missing values become `""`.
    /// - `@literal`: its argument, resolved like any mapping (as Segment does).
    /// - `@if`: `then` when the condition holds, else `else`; `nil` when that branch is not given. `exists` holds for
    ///   a value that is present and not `null`; `blank` (Segment's name) holds for one that is present, not `null`
    ///   and not `""`.
    /// - `@arrayPath`: the array at the path (a single non-array value counts as a one-element array), each element
    ///   resolved through the shape with paths relative to the element; without a shape (or with `null` or `{}`),
    ///   the elements as they are. `nil` when the path is absent or `null`.
    ///
    /// A mapping that ``validate(_:field:)`` would refuse resolves to `nil` where it is malformed; it never traps.
    ///
    /// - Parameters:
    ///   - value: The mapping.
    ///   - event: The event (or, inside `@arrayPath`, the element) that paths read from.
    /// - Returns: The resolved value, or `nil` when it resolves to nothing.
    public static func resolve(_ value: JSONValue, in event: JSONValue) -> JSONValue? {
        switch value {
        case .object(let members):
            if isDirective(value) {
                guard let (name, argument) = directive(members) else { return nil }
                return resolveDirective(name, argument, in: event)
            }
            var result: [String: JSONValue] = [:]
            result.reserveCapacity(members.count)
            for (key, member) in members {
                if let resolved = resolve(member, in: event) { result[key] = resolved }
            }
            return .object(result)
        case .array(let elements):
            return .array(elements.compactMap { resolve($0, in: event) })
        case .null, .bool, .number, .string:
            return value
        }
    }

    /// Resolves every field of a subscription's settings against an event; fields that resolve to nothing are left out.
    ///
    /// - Parameters:
    ///   - settings: The stored settings, as ``ActionSettings/validate(_:fields:enabled:unknownKeys:)`` returned them.
    ///   - event: The event being delivered.
    /// - Returns: The action's input: one value per field that has one.
    public static func resolve(settings: [String: JSONValue], in event: JSONValue) -> [String: JSONValue] {
        var result: [String: JSONValue] = [:]
        result.reserveCapacity(settings.count)
        for (key, value) in settings {
            if let resolved = resolve(value, in: event) { result[key] = resolved }
        }
        return result
    }

    private static func resolveDirective(_ name: String, _ argument: JSONValue, in event: JSONValue) -> JSONValue? {
        switch name {
        case "@path":
            return resolvePath(argument, in: event)
        case "@template":
            guard case .string(let template)? = isDirective(argument) ? resolve(argument, in: event) : argument else { return nil }
            return .string(MappingTemplate(template).render(event))
        case "@literal":
            return resolve(argument, in: event)
        case "@if":
            guard case .object(let options) = argument else { return nil }
            let holds: Bool
            if let condition = options["exists"] {
                let value = resolve(condition, in: event)
                holds = value != nil && value != .null
            } else if let condition = options["blank"] {
                let value = resolve(condition, in: event)
                holds = value != nil && value != .null && value != .string("")
            } else {
                return nil
            }
            guard let branch = options[holds ? "then" : "else"] else { return nil }
            return resolve(branch, in: event)
        case "@arrayPath":
            guard case .array(let elements) = argument, let first = elements.first else { return nil }
            let data = isDirective(first) ? resolve(first, in: event) : resolvePath(first, in: event)
            let items: [JSONValue]
            switch data {
            case nil, .null?: return nil
            case .array(let array)?: items = array
            case let single?: items = [single]
            }
            guard elements.count > 1 else { return .array(items) }
            let shape = elements[1]
            switch shape {
            case .null: return .array(items)
            case .object(let members) where members.isEmpty: return .array(items)
            default: return .array(items.compactMap { resolve(shape, in: $0) })
            }
        default:
            return nil
        }
    }

    /// The value at a path given as a string, or as a directive that resolves to one.
    private static func resolvePath(_ argument: JSONValue, in event: JSONValue) -> JSONValue? {
        guard case .string(let source)? = isDirective(argument) ? resolve(argument, in: event) : argument,
            let path = try? MappingPath(parsing: source)
        else { return nil }
        return path.value(in: event)
    }
}
