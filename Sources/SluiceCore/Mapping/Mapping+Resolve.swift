import Foundation

extension Mapping {
    /// Applies a mapping to an event at delivery.
    ///
    /// - Plain values stand for themselves. In objects and arrays each member is resolved; members that resolve to
    ///   nothing are left out (a `null` stays).
    /// - `@path`: the value at the path, or `nil` when the event has nothing there.
    /// - `@template`: the template with placeholders filled; missing values become `""`.
    /// - `@literal`: its argument, resolved like any mapping (as Segment does).
    /// - `@if`: `then` when the condition holds, else `else` when that is truthy; `nil` otherwise. `exists` holds for
    ///   a value that is present and not `null`; `blank` (Segment's name) for one that is present, not `null` and not
    ///   loosely equal to `""` (so not `0`, `false` or `[]` either).
    /// - `@arrayPath`: the array at the path (a single non-array value counts as a one-element array), each element
    ///   resolved through the shape with paths relative to the element; without a shape (or with `null` or `{}`),
    ///   the elements as they are. `nil` when the path is absent or `null`.
    /// - `@case`, `@replace`, `@flatten`, `@json`, `@merge`, `@transform`, `@excludeWhenNull`: as Segment resolves
    ///   them (Mapping+Directives.swift).
    ///
    /// A mapping that ``validate(_:field:)`` would refuse resolves to `nil` where it is malformed; it never traps.
    ///
    /// - Parameters:
    ///   - value: The mapping.
    ///   - event: The event (or, inside `@arrayPath`, the element) that paths read from.
    /// - Returns: The resolved value, or `nil` when it resolves to nothing.
    public static func resolve(_ value: JSONValue, in event: JSONValue) -> JSONValue? {
        var budget = maxResolvedBytes
        return resolve(value, in: event, budget: &budget)
    }

    /// The most one mapping may produce for one event, counted in bytes of its JSON encoding: 4 MB, over
    /// a hundred times Segment's largest event (32 KB). Past it, what is left resolves to nothing.
    ///
    /// Without a bound, a mapping could ask for far more than it holds: `{{$.}}` repeated in a template
    /// copies the whole event once per placeholder, and an `@arrayPath` shape is produced once per element,
    /// so a mapping within the 1 MB request limit could make one delivery need gigabytes (found by
    /// FuzzTests; a job that exhausts memory is retried after the restart, and exhausts it again).
    public static let maxResolvedBytes = 4 << 20

    /// ``resolve(_:in:)`` that spends `budget`: each value produced costs its encoded size.
    static func resolve(_ value: JSONValue, in event: JSONValue, budget: inout Int) -> JSONValue? {
        guard budget >= 0 else { return nil }
        switch value {
        case .object(let members):
            if isDirective(value) {
                guard let (name, argument) = directive(members) else { return nil }
                // A byte per directive: `@merge` of two `@merge`s of two ... doubles the work per level, and its empty
                // objects would otherwise cost nothing.
                budget -= 1
                return resolveDirective(name, argument, in: event, budget: &budget)
            }
            var result: [String: JSONValue] = [:]
            result.reserveCapacity(members.count)
            for (key, member) in members {
                budget -= key.utf8.count + 4
                if let resolved = resolve(member, in: event, budget: &budget) { result[key] = resolved }
            }
            return budget >= 0 ? .object(result) : nil
        case .array(let elements):
            var result: [JSONValue] = []
            for element in elements {
                budget -= 1
                if let resolved = resolve(element, in: event, budget: &budget) { result.append(resolved) }
            }
            return budget >= 0 ? .array(result) : nil
        case .null, .bool, .number, .string:
            return spend(value, &budget)
        }
    }

    /// `value` if its encoded size fits in `budget` (which it spends), else `nil` with the budget spent.
    static func spend(_ value: JSONValue, _ budget: inout Int) -> JSONValue? {
        budget -= TrackingAPI.encodedSize(value, limit: budget)
        return budget >= 0 ? value : nil
    }

    /// Resolves every field of a subscription's settings against an event; fields that resolve to nothing are left out.
    ///
    /// - Parameters:
    ///   - settings: The stored settings, as ``ActionSettings/validate(_:fields:enabled:unknownKeys:)`` returned them.
    ///   - event: The event being delivered.
    /// - Returns: The action's input: one value per field that has one.
    public static func resolve(settings: [String: JSONValue], in event: JSONValue) -> [String: JSONValue] {
        resolve(settings: sortedSettings(settings), in: event)
    }

    /// ``resolve(settings:in:)`` for settings already in key order (``sortedSettings(_:)``): a caller resolving the
    /// same settings for many events sorts them once.
    public static func resolve(settings: [(key: String, value: JSONValue)], in event: JSONValue) -> [String: JSONValue] {
        var result: [String: JSONValue] = [:]
        result.reserveCapacity(settings.count)
        var budget = maxResolvedBytes
        for (key, mapping) in settings {
            if let resolved = resolve(mapping, in: event, budget: &budget) { result[key] = resolved }
        }
        return result
    }

    /// Settings in key order, the order ``resolve(settings:in:)`` spends its budget in.
    public static func sortedSettings(_ settings: [String: JSONValue]) -> [(key: String, value: JSONValue)] {
        settings.sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value) }
    }

    private static func resolveDirective(_ name: String, _ argument: JSONValue, in event: JSONValue, budget: inout Int) -> JSONValue? {
        switch name {
        case "@path":
            return resolvePath(argument, in: event, budget: &budget)
        case "@template":
            guard case .string(let template)? = isDirective(argument) ? resolve(argument, in: event, budget: &budget) : argument else {
                return nil
            }
            guard let rendered = MappingTemplate(template).render(event, limit: budget) else {
                budget = -1
                return nil
            }
            return spend(.string(rendered), &budget)
        case "@literal":
            return resolve(argument, in: event, budget: &budget)
        case "@if":
            return resolveIf(argument, in: event, budget: &budget)
        case "@arrayPath":
            guard case .array(let elements) = argument, let first = elements.first else { return nil }
            let data = isDirective(first) ? resolve(first, in: event, budget: &budget) : resolvePath(first, in: event, budget: &budget)
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
            default:
                // The elements were paid for when the path was read; each shape is paid for again.
                var shaped: [JSONValue] = []
                for item in items {
                    guard budget >= 0 else { return nil }
                    if let resolved = resolve(shape, in: item, budget: &budget) { shaped.append(resolved) }
                }
                return budget >= 0 ? .array(shaped) : nil
            }
        case "@case": return resolveCase(argument, in: event, budget: &budget)
        case "@replace": return resolveReplace(argument, in: event, budget: &budget)
        case "@flatten": return resolveFlatten(argument, in: event, budget: &budget)
        case "@json": return resolveJSON(argument, in: event, budget: &budget)
        case "@merge": return resolveMerge(argument, in: event, budget: &budget)
        case "@transform": return resolveTransform(argument, in: event, budget: &budget)
        case "@excludeWhenNull": return resolveExcludeWhenNull(argument, in: event, budget: &budget)
        default:
            return nil
        }
    }

    /// The value at a path given as a string, or as a directive that resolves to one.
    private static func resolvePath(_ argument: JSONValue, in event: JSONValue, budget: inout Int) -> JSONValue? {
        guard case .string(let source)? = isDirective(argument) ? resolve(argument, in: event, budget: &budget) : argument,
            let path = MappingPath.cached(source), let value = path.value(in: event)
        else { return nil }
        return spend(value, &budget)
    }
}
