import Foundation

/// The rules of a destination's filters: one source and destination per filter, at most ``DestinationFilter/limit``
/// of them, what each change records. A destination's filters are stored with it, so each function takes the current
/// destination and returns it changed, for the caller to store in the destination's own transaction.
public enum FilterUseCase {
    /// `POST /destination/{id}/filters`, its fields read and checked (the condition parsed, every action checked).
    public struct Creation: Sendable {
        public var sourceID: String
        public var condition: FilterQuery
        public var actions: [DestinationFilterAction]
        public var title: String
        public var description: String?
        public var enabled: Bool

        public init(
            sourceID: String, condition: FilterQuery, actions: [DestinationFilterAction], title: String, description: String?,
            enabled: Bool
        ) {
            self.sourceID = sourceID
            self.condition = condition
            self.actions = actions
            self.title = title
            self.description = description
            self.enabled = enabled
        }
    }

    /// `PATCH /destination/{id}/filters/{id}`, its fields read; `nil` leaves a member as it is.
    public struct Update: Sendable {
        public var condition: FilterQuery?
        public var actions: [DestinationFilterAction]?
        public var title: String?
        /// `.some(nil)` removes the description.
        public var description: String??
        public var enabled: Bool?

        public init(
            condition: FilterQuery? = nil, actions: [DestinationFilterAction]? = nil, title: String? = nil, description: String?? = nil,
            enabled: Bool? = nil
        ) {
            self.condition = condition
            self.actions = actions
            self.title = title
            self.description = description
            self.enabled = enabled
        }
    }

    /// A new filter, before the destination's transaction: `sourceId` must be the destination's source.
    public static func make(_ creation: Creation, for destination: Destination, minting: Minting) throws(ValidationError) -> DestinationFilter {
        guard creation.sourceID == destination.sourceID else {
            throw ValidationError(
                "sourceId must be the source of destination \(destination.id) (\(destination.sourceID)): "
                    + "a filter applies to one source and destination",
                field: "sourceId")
        }
        let now = minting.now()
        return DestinationFilter(
            id: minting.id(), sourceID: creation.sourceID, destinationID: destination.id, condition: creation.condition.source,
            actions: creation.actions.map(\.json), title: creation.title, description: creation.description, enabled: creation.enabled,
            createdAt: now, updatedAt: now)
    }

    /// The destination `current` (as its transaction reads it) with `filter` added last; records
    /// `Destination Filter Created`. Refused when the destination has ``DestinationFilter/limit`` filters already.
    public static func add(
        _ filter: DestinationFilter, to current: Destination, actor: String, minting: Minting
    ) throws(ValidationError)
        -> Change<Destination>
    {
        guard current.filters.count < DestinationFilter.limit else {
            throw ValidationError(
                "Destination \(current.id) has \(current.filters.count) filters already; at most \(DestinationFilter.limit) are allowed")
        }
        var next = current
        next.filters.append(filter)
        let audit = minting.audit(AuditEventType.filterCreated, actor: actor, id: filter.id, resourceType: "destination_filter", name: filter.title)
        return Change(next, audit: [audit])
    }

    /// The destination with its filter `id` updated; records `Destination Filter Modified` when anything changed.
    ///
    /// - Throws: ``StoreError/notFound(resource:id:)`` when the destination has no filter `id`.
    public static func update(
        _ id: String, with update: Update, in current: Destination, actor: String, minting: Minting
    ) throws
        -> Change<Destination>
    {
        guard let index = current.filters.firstIndex(where: { $0.id == id }) else { throw StoreError.notFound(resource: "filter", id: id) }
        let old = current.filters[index]
        var filter = old
        if let condition = update.condition { filter.condition = condition.source }
        if let actions = update.actions { filter.actions = actions.map(\.json) }
        if let title = update.title { filter.title = title }
        if let description = update.description { filter.description = description }
        if let enabled = update.enabled { filter.enabled = enabled }
        guard filter != old else { return Change(current, audit: []) }
        filter.updatedAt = minting.now()
        var next = current
        next.filters[index] = filter
        let audit = minting.audit(AuditEventType.filterModified, actor: actor, id: id, resourceType: "destination_filter", name: filter.title)
        return Change(next, audit: [audit])
    }

    /// The destination without its filter `id`; records `Destination Filter Deleted`.
    ///
    /// - Throws: ``StoreError/notFound(resource:id:)`` when the destination has no filter `id`.
    public static func remove(_ id: String, from current: Destination, actor: String, minting: Minting) throws -> Change<Destination> {
        guard let filter = current.filters.first(where: { $0.id == id }) else { throw StoreError.notFound(resource: "filter", id: id) }
        var next = current
        next.filters.removeAll { $0.id == id }
        let audit = minting.audit(AuditEventType.filterDeleted, actor: actor, id: id, resourceType: "destination_filter", name: filter.title)
        return Change(next, audit: [audit])
    }
}
