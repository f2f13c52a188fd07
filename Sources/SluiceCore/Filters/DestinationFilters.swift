import Foundation

/// One enabled destination filter as the router applies it: a parsed `if` and its actions.
public struct DestinationFilterRule: Sendable, Hashable {
    /// The condition; the actions apply to events it matches.
    public var query: FilterQuery
    /// What happens to a matching event.
    public var actions: [DestinationFilterAction]

    /// Creates a rule.
    public init(query: FilterQuery, actions: [DestinationFilterAction]) {
        self.query = query
        self.actions = actions
    }
}

/// What the filters of one destination did to one event.
public enum DestinationFilterOutcome: Sendable, Hashable {
    /// Deliver this event: the original, or a copy with properties removed.
    case kept(JSONValue)
    /// Don't deliver the event, for this reason.
    case dropped(DestinationFilterDropReason)
}

/// Why an event was filtered out; the raw value is the action type that did it, for counters.
public enum DestinationFilterDropReason: String, Sendable, Hashable {
    /// A `DROP` action matched.
    case drop = "DROP"
    /// A `SAMPLE` action did not keep the event.
    case sample = "SAMPLE"
}

/// Applies destination filters to events.
///
/// The order, for the rules of one destination and one event:
///
/// 1. Every rule's `if` is evaluated against the **original** event, so a rule never depends on what another rule
///    removed: dropping `properties.email` in one filter cannot switch off a later filter conditioned on it, and the
///    result does not depend on the order in which filters were created.
/// 2. If any matching rule has `DROP`, the event is dropped (reason `DROP`).
/// 3. Otherwise each `SAMPLE` of the matching rules, in rule order, keeps the event with its `percent`; the first that
///    does not drops it (reason `SAMPLE`).
/// 4. Otherwise the property actions of the matching rules apply in rule order, `DROP_PROPERTIES` before
///    `ALLOW_PROPERTIES` within a rule (the two commute: the keys kept are the allowed ones minus the dropped ones).
///
/// This is the order of Segment's Public API reference ("drop, sample, ..."); Segment's destination-filters guide
/// lists sample before drop. Both keep exactly the same events; drop first reports a dropped event under the rule
/// that names it outright, and spends no random draw on an event that is dropped anyway.
///
/// Sampling with a `path` hashes the canonical JSON text of the value there (FNV-1a, 64 bits, keys sorted) to a
/// number in [0, 1) and keeps the event when that number is below `percent`: the same value always gets the same
/// decision, whatever the filter, and a missing value hashes as `null`. Without a path the draw is random.
public enum DestinationFilters {
    /// Applies the enabled rules of one destination to one event, in the documented order.
    ///
    /// - Parameters:
    ///   - rules: the destination's enabled filters, in their order.
    ///   - event: the event as routed.
    /// - Returns: ``DestinationFilterOutcome/kept(_:)`` with the event to deliver, or why it was dropped.
    public static func apply(_ rules: [DestinationFilterRule], to event: JSONValue) -> DestinationFilterOutcome {
        var generator = SystemRandomNumberGenerator()
        return apply(rules, to: event, using: &generator)
    }

    /// Applies the rules as ``apply(_:to:)`` does, drawing random samples from `generator` (for tests).
    public static func apply(
        _ rules: [DestinationFilterRule], to event: JSONValue, using generator: inout some RandomNumberGenerator
    ) -> DestinationFilterOutcome {
        // Conditions first, all on the original event; most events match nothing and leave without an allocation.
        var matched: [DestinationFilterRule] = []
        var anyPropertyAction = false
        for i in rules.indices where rules[i].query.matches(event) {
            let rule = rules[i]
            var hasProperties = false
            for action in rule.actions {
                switch action {
                case .drop: return .dropped(.drop)
                case .dropProperties, .allowProperties: hasProperties = true
                case .sample: break
                }
            }
            matched.append(rule)
            anyPropertyAction = anyPropertyAction || hasProperties
        }
        guard !matched.isEmpty else { return .kept(event) }
        for rule in matched {
            for case .sample(let percent, let path) in rule.actions {
                let draw: Double
                if let path {
                    draw = samplingPoint(of: value(atPath: path, in: event))
                } else {
                    draw = Double.random(in: 0..<1, using: &generator)
                }
                if draw >= percent { return .dropped(.sample) }
            }
        }
        guard anyPropertyAction, case .object(var root) = event else { return .kept(event) }
        for rule in matched {
            for case .dropProperties(let fields) in rule.actions {
                for (object, keys) in fields { edit(&root, object: object) { removeKeys(keys, from: &$0) } }
            }
            for case .allowProperties(let fields) in rule.actions {
                for (object, keys) in fields {
                    edit(&root, object: object) { dict in
                        let allowed = Set(keys)
                        dict = dict.filter { allowed.contains($0.key) }
                    }
                }
            }
        }
        return .kept(.object(root))
    }

    // MARK: - Sampling

    /// The point in [0, 1) at which a value samples: FNV-1a (64 bits) of its canonical JSON text, through MurmurHash3's
    /// 64-bit finalizer, top 53 bits.
    public static func samplingPoint(of value: JSONValue) -> Double {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ byte: UInt8) {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        if case .string(var s) = value, !s.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) {
            // The JSON text of a string without escapes is the string in quotes: hash it without building it.
            mix(0x22)
            s.withUTF8 { for byte in $0 { mix(byte) } }
            mix(0x22)
        } else {
            for byte in JSONWriter.encode(value) { mix(byte) }
        }
        // FNV-1a's high bits barely depend on the last bytes (`user-10` … `user-19` would share a decision), so the
        // hash goes through MurmurHash3's 64-bit finalizer, which spreads every input bit over every output bit.
        hash ^= hash >> 33
        hash &*= 0xff51_afd7_ed55_8ccd
        hash ^= hash >> 33
        hash &*= 0xc4ce_b9fe_1a85_ec53
        hash ^= hash >> 33
        return Double(hash >> 11) / 9_007_199_254_740_992  // 2^53
    }

    /// The value at a dotted path (`properties.plan`), `null` when absent.
    static func value(atPath path: String, in event: JSONValue) -> JSONValue {
        var current = event
        var rest = Substring(path)
        while true {
            let dot = rest.firstIndex(of: ".") ?? rest.endIndex
            guard case .object(let object) = current, let next = object[String(rest[..<dot])] else { return .null }
            current = next
            guard dot != rest.endIndex else { return current }
            rest = rest[rest.index(after: dot)...]
        }
    }

    // MARK: - Property actions

    /// Runs `change` on the object named by a `fields` key: `""` is the event itself, others a top-level object.
    private static func edit(_ root: inout [String: JSONValue], object: String, _ change: (inout [String: JSONValue]) -> Void) {
        if object.isEmpty {
            change(&root)
        } else if case .object(var nested) = root[object] {
            root[object] = nil  // keeps `nested` uniquely referenced, so the change does not copy it
            change(&nested)
            root[object] = .object(nested)
        }
    }

    /// Removes keys; a key with dots that is not present as such reaches into nested objects and lists of objects.
    static func removeKeys(_ keys: [String], from object: inout [String: JSONValue]) {
        for key in keys {
            if object.removeValue(forKey: key) != nil { continue }
            guard let dot = key.firstIndex(of: ".") else { continue }
            let head = String(key[..<dot])
            let tail = [String(key[key.index(after: dot)...])]
            switch object[head] {
            case .object(var nested)?:
                object[head] = nil
                removeKeys(tail, from: &nested)
                object[head] = .object(nested)
            case .array(var elements)?:
                object[head] = nil
                for i in elements.indices {
                    if case .object(var nested) = elements[i] {
                        elements[i] = .null
                        removeKeys(tail, from: &nested)
                        elements[i] = .object(nested)
                    }
                }
                object[head] = .array(elements)
            default:
                break
            }
        }
    }
}
