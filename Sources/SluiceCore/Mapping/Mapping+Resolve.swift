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

    /// ``resolve(_:in:)`` that spends `budget`: each value produced costs its encoded size. The directives of
    /// Mapping+Directives.swift resolve the mappings inside their options with it.
    static func resolve(_ value: JSONValue, in event: JSONValue, budget: inout Int) -> JSONValue? {
        CompiledMapping.Node(value).resolve(in: event, slots: [], budget: &budget)
    }

    /// `value` if its encoded size fits in `budget` (which it spends), else `nil` with the budget spent.
    static func spend(_ value: JSONValue, _ budget: inout Int) -> JSONValue? {
        budget -= TrackingAPI.encodedSize(value, limit: budget)
        return budget >= 0 ? value : nil
    }

    /// Resolves every field of a subscription's settings against an event; fields that resolve to nothing are left out.
    /// A caller resolving the same settings for many events compiles them once (``CompiledSettings``).
    ///
    /// - Parameters:
    ///   - settings: The stored settings, as ``ActionSettings/validate(_:fields:enabled:otherFields:)`` returned them.
    ///   - event: The event being delivered.
    /// - Returns: The action's input: one value per field that has one.
    public static func resolve(settings: [String: JSONValue], in event: JSONValue) -> [String: JSONValue] {
        CompiledSettings(settings).resolve(in: event)
    }

    /// The directives whose argument is an options object, resolved per event (``CompiledMapping`` decides the others
    /// once): `nil` for a name that is not one.
    static func resolveDirective(_ name: String, _ argument: JSONValue, in event: JSONValue, budget: inout Int) -> JSONValue? {
        switch name {
        case "@path", "@template":
            // Only with a directive as argument; it gives the path or template text.
            guard case .string(let text)? = resolve(argument, in: event, budget: &budget) else { return nil }
            return CompiledMapping.Node(directive: name, .string(text)).resolveDirective(in: event, slots: [], budget: &budget)
        case "@case": return resolveCase(argument, in: event, budget: &budget)
        case "@replace": return resolveReplace(argument, in: event, budget: &budget)
        case "@flatten": return resolveFlatten(argument, in: event, budget: &budget)
        case "@json": return resolveJSON(argument, in: event, budget: &budget)
        case "@merge": return resolveMerge(argument, in: event, budget: &budget)
        case "@transform": return resolveTransform(argument, in: event, budget: &budget)
        case "@excludeWhenNull": return resolveExcludeWhenNull(argument, in: event, budget: &budget)
        default: return nil
        }
    }
}
