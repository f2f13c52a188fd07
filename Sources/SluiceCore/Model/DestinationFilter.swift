import Foundation

/// A destination filter as stored (`DestinationFilterV1`): a condition in Segment's Filter Query
/// Language and the actions applied to the events it matches.
///
/// A destination holds at most ``limit`` of them, in creation order (the order they apply in).
/// `actions` are kept in their JSON form (`{"type": "DROP"}`, `{"type": "SAMPLE", "percent": 0.1}`, …),
/// checked by ``DestinationFilterAction/init(json:index:)`` before they are stored.
public struct DestinationFilter: Sendable, Equatable {
    public var id: String
    public var sourceID: String
    public var destinationID: String
    /// The condition (`if`), as written: FQL, or `all`.
    public var condition: String
    public var actions: [JSONValue]
    public var title: String
    public var description: String?
    public var enabled: Bool
    public var createdAt: Date
    public var updatedAt: Date

    /// Segment's limit of filters per destination.
    public static let limit = 10

    public init(
        id: String, sourceID: String, destinationID: String, condition: String, actions: [JSONValue], title: String,
        description: String?, enabled: Bool, createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.sourceID = sourceID
        self.destinationID = destinationID
        self.condition = condition
        self.actions = actions
        self.title = title
        self.description = description
        self.enabled = enabled
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

extension DestinationFilter {
    /// The stored form: one JSON object per filter, times in milliseconds (both engines keep a destination's
    /// filters as one JSON array beside its settings).
    public var stored: JSONValue {
        var object: [String: JSONValue] = [
            "id": .string(id), "sourceId": .string(sourceID), "destinationId": .string(destinationID), "if": .string(condition),
            "actions": .array(actions), "title": .string(title), "enabled": .bool(enabled),
            "createdAt": .number(Double(Int64((createdAt.timeIntervalSince1970 * 1000).rounded()))),
            "updatedAt": .number(Double(Int64((updatedAt.timeIntervalSince1970 * 1000).rounded()))),
        ]
        if let description { object["description"] = .string(description) }
        return .object(object)
    }

    /// Reads the stored form; `nil` for anything that is not one.
    public init?(stored value: JSONValue) {
        guard case .object(let o) = value, let id = o["id"]?.stringValue, let sourceID = o["sourceId"]?.stringValue,
            let destinationID = o["destinationId"]?.stringValue, let condition = o["if"]?.stringValue,
            let actions = o["actions"]?.arrayValue, let title = o["title"]?.stringValue, let enabled = o["enabled"]?.boolValue,
            let created = o["createdAt"]?.numberValue, let updated = o["updatedAt"]?.numberValue
        else { return nil }
        self.init(
            id: id, sourceID: sourceID, destinationID: destinationID, condition: condition, actions: actions, title: title,
            description: o["description"]?.stringValue, enabled: enabled, createdAt: Date(timeIntervalSince1970: created / 1000),
            updatedAt: Date(timeIntervalSince1970: updated / 1000))
    }

    /// A destination's filters as the JSON text both engines store.
    public static func storedText(_ filters: [DestinationFilter]) -> String {
        String(decoding: JSONWriter.encode(.array(filters.map(\.stored))), as: UTF8.self)
    }

    /// Reads the JSON text both engines store; an unreadable entry is left out.
    public static func filters(storedText text: String) -> [DestinationFilter] {
        ((try? JSONValue.parse(text))?.arrayValue ?? []).compactMap(DestinationFilter.init(stored:))
    }
}

/// An event kept from destinations, counted per (source, destination, minute, reason) when the routing that
/// consumes the event commits: by the destination's filters (`reason`: `DROP` or `SAMPLE`), because the destination
/// is disabled or no subscription trigger matched (``DiscardReason``). An empty destination id counts an event
/// kept from every destination of its source (``DiscardReason/sourceDisabled``): the Delivery Overview's
/// filtered-at-source step.
public struct FilteredEvent: Sendable, Equatable {
    /// The pending event's position in the log: counted only if this routing consumes it.
    public var eventSeq: Int64
    public var sourceID: String
    /// The destinations it was kept from, all for `reason`; usually one, or a source's destinations that take no
    /// events (shared by every event of the batch).
    public var destinations: FilteredDestinations
    public var minute: Int64
    public var reason: String

    /// The first destination it was kept from (the only one, but for a source's destinations that take no events).
    public var destinationID: String { destinations.ids.first ?? "" }

    /// An event kept from one destination.
    public init(eventSeq: Int64, sourceID: String, destinationID: String, minute: Int64, reason: String) {
        self.init(eventSeq: eventSeq, sourceID: sourceID, destinations: FilteredDestinations([destinationID]), minute: minute, reason: reason)
    }

    /// An event kept from several destinations for the same reason.
    public init(eventSeq: Int64, sourceID: String, destinations: FilteredDestinations, minute: Int64, reason: String) {
        self.eventSeq = eventSeq
        self.sourceID = sourceID
        self.destinations = destinations
        self.minute = minute
        self.reason = reason
    }

    public static func == (lhs: FilteredEvent, rhs: FilteredEvent) -> Bool {
        lhs.eventSeq == rhs.eventSeq && lhs.sourceID == rhs.sourceID && lhs.destinations.ids == rhs.destinations.ids
            && lhs.minute == rhs.minute && lhs.reason == rhs.reason
    }
}

/// Destination ids that routed events are kept from, made once and shared by every event kept from them alike: a
/// source's destinations that take no events cost routing one entry an event, not one an event and destination.
public final class FilteredDestinations: Sendable {
    public let ids: [String]

    public init(_ ids: [String]) {
        self.ids = ids
    }
}

/// A number of filtered events of one (source, destination, minute, reason).
public struct FilteredCount: Sendable, Hashable {
    public var sourceID: String
    public var destinationID: String
    public var minute: Int64
    public var reason: String
    public var count: Int64
}

/// Events kept from the same ``FilteredDestinations`` (the same object), in the same minute, for the same reason.
private struct FilteredGroup: Hashable {
    var destinations: ObjectIdentifier
    var sourceID: String
    var minute: Int64
    var reason: String
}

extension [FilteredEvent] {
    /// The counts to add, by (source, destination, minute, reason), of the events whose seq is in `consumed`, or of
    /// every event when `consumed` is `nil`.
    public func counts(consumed: Set<Int64>? = nil) -> [FilteredCount] {
        // Events kept from the same shared destinations (the same object), minute and reason are counted together
        // first, then the count goes to each of those destinations.
        var groups: [FilteredGroup: (destinations: FilteredDestinations, count: Int64)] = [:]
        for event in self where consumed?.contains(event.eventSeq) ?? true {
            let key = FilteredGroup(
                destinations: ObjectIdentifier(event.destinations), sourceID: event.sourceID, minute: event.minute, reason: event.reason)
            groups[key, default: (event.destinations, 0)].count += 1
        }
        var counts: [FilteredCount: Int64] = [:]
        for (key, group) in groups {
            for destinationID in group.destinations.ids {
                let count = FilteredCount(sourceID: key.sourceID, destinationID: destinationID, minute: key.minute, reason: key.reason, count: 0)
                counts[count, default: 0] += group.count
            }
        }
        return counts.map { key, count in
            var total = key
            total.count = count
            return total
        }
        .sorted { ($0.sourceID, $0.destinationID, $0.minute, $0.reason) < ($1.sourceID, $1.destinationID, $1.minute, $1.reason) }
    }
}
