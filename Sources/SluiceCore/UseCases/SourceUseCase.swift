import Foundation

/// The rules of a source's life: create, update, delete, and its write keys (`sluice write-key ...`). Pure: the
/// caller reads the current source and stores the result in one transaction.
public enum SourceUseCase {
    /// `POST /sources`, its fields read.
    public struct Creation: Sendable {
        public var slug: String
        public var name: String?
        public var enabled: Bool
        public var metadataID: String
        public var settings: [String: JSONValue]

        public init(slug: String, name: String?, enabled: Bool, metadataID: String, settings: [String: JSONValue]) {
            self.slug = slug
            self.name = name
            self.enabled = enabled
            self.metadataID = metadataID
            self.settings = settings
        }
    }

    /// `PATCH /sources/{id}`, its fields read; `nil` leaves a member as it is.
    public struct Update: Sendable {
        /// `.some(nil)` clears the name (`"name": null`).
        public var name: String??
        public var enabled: Bool?
        public var slug: String?
        /// Merged key by key; `null` removes a key.
        public var settings: [String: JSONValue]?

        public init(name: String?? = nil, enabled: Bool? = nil, slug: String? = nil, settings: [String: JSONValue]? = nil) {
            self.name = name
            self.enabled = enabled
            self.slug = slug
            self.settings = settings
        }
    }

    /// A slug is 1 to 100 characters of lower-case letters, digits, `-` and `_`.
    public static func checkSlug(_ slug: String) throws(ValidationError) {
        let ok =
            !slug.isEmpty && slug.utf8.count <= 100
            && slug.utf8.allSatisfy { b in (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) || b == 0x2D || b == 0x5F }
        guard ok else {
            throw ValidationError("slug must be 1 to 100 characters of lower-case letters, digits, \"-\" and \"_\"", field: "slug")
        }
    }

    /// A new source with one new write key; records `Source Created` under its name, or its slug.
    ///
    /// The caller has checked that `metadataID` names a catalog source.
    public static func create(_ creation: Creation, workspaceID: String, actor: String, minting: Minting) throws -> Change<Source> {
        try checkSlug(creation.slug)
        let now = minting.now()
        let source = Source(
            id: minting.id(), workspaceID: workspaceID, slug: creation.slug, name: creation.name, enabled: creation.enabled,
            metadataID: creation.metadataID, settings: creation.settings, writeKeys: [minting.writeKey()], labels: [], createdAt: now,
            updatedAt: now)
        let audit = minting.audit(
            AuditEventType.sourceCreated, actor: actor, id: source.id, resourceType: "source", name: creation.name ?? creation.slug)
        return Change(source, audit: [audit])
    }

    /// The source after `update`. Records `Source Enabled` or `Disabled`, and `Source Modified` when the name, slug or
    /// settings change; an update that changes nothing records nothing and keeps `updatedAt`.
    public static func update(_ current: Source, with update: Update, actor: String, minting: Minting) throws -> Change<Source> {
        if let slug = update.slug { try checkSlug(slug) }
        var next = current
        if let name = update.name { next.name = name }
        if let enabled = update.enabled { next.enabled = enabled }
        if let slug = update.slug { next.slug = slug }
        for (key, value) in update.settings ?? [:] {
            if value.isNull { next.settings.removeValue(forKey: key) } else { next.settings[key] = value }
        }
        guard next != current else { return Change(current, audit: []) }
        next.updatedAt = minting.now()
        let label = next.name ?? next.slug
        var audit: [AuditEvent] = []
        if next.enabled != current.enabled {
            let type = next.enabled ? AuditEventType.sourceEnabled : AuditEventType.sourceDisabled
            audit.append(minting.audit(type, actor: actor, id: current.id, resourceType: "source", name: label))
        }
        if next.name != current.name || next.slug != current.slug || next.settings != current.settings {
            audit.append(minting.audit(AuditEventType.sourceModified, actor: actor, id: current.id, resourceType: "source", name: label))
        }
        return Change(next, audit: audit)
    }

    /// What deleting `source` and its `destinations` records: `Integration Deleted` for each destination, then
    /// `Source Deleted`.
    public static func delete(_ source: Source, destinations: [Destination], actor: String, minting: Minting) -> [AuditEvent] {
        destinations.flatMap { DestinationUseCase.delete($0, actor: actor, minting: minting) }
            + [minting.audit(AuditEventType.sourceDeleted, actor: actor, id: source.id, resourceType: "source", name: source.name ?? source.slug)]
    }

    /// The source with one more write key, `key` (its other keys keep working); records `Write Key Created`. The key
    /// itself is never written to the audit trail.
    public static func addWriteKey(_ key: String, to source: Source, actor: String, minting: Minting) -> Change<Source> {
        var next = source
        next.writeKeys.append(key)
        next.updatedAt = minting.now()
        return Change(next, audit: [writeKeyAudit(AuditEventType.writeKeyCreated, source: source, actor: actor, minting: minting)])
    }

    /// The source without the write key `key`; records `Write Key Deleted`. The last key of a source cannot be removed.
    ///
    /// - Throws: ``StoreError/notFound(resource:id:)`` when the source has no such key; ``StoreError/conflict(_:)`` for
    ///   its last key.
    public static func removeWriteKey(_ key: String, from source: Source, actor: String, minting: Minting) throws -> Change<Source> {
        guard source.writeKeys.contains(key) else { throw StoreError.notFound(resource: "write key of source", id: source.id) }
        guard source.writeKeys.count > 1 else {
            throw StoreError.conflict("This is the source's only write key: create another first (sluice write-key create)")
        }
        var next = source
        next.writeKeys.removeAll { $0 == key }
        next.updatedAt = minting.now()
        return Change(next, audit: [writeKeyAudit(AuditEventType.writeKeyDeleted, source: source, actor: actor, minting: minting)])
    }

    private static func writeKeyAudit(_ type: String, source: Source, actor: String, minting: Minting) -> AuditEvent {
        minting.audit(type, actor: actor, id: source.id, resourceType: "source", name: source.name ?? source.slug)
    }
}
