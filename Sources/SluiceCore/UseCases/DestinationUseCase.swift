import Foundation

/// The rules of a destination's life: what a create, an update and a delete produce, and which audit events each
/// records. Pure: the caller reads the current destination and the catalog entry, and stores the result in one
/// transaction.
public enum DestinationUseCase {
    /// Longest source, destination or subscription name accepted.
    public static let nameLimit = 256

    /// `POST /destinations`, its fields read.
    public struct Creation: Sendable {
        public var sourceID: String
        public var name: String
        public var enabled: Bool
        public var settings: [String: JSONValue]

        public init(sourceID: String, name: String, enabled: Bool, settings: [String: JSONValue]) {
            self.sourceID = sourceID
            self.name = name
            self.enabled = enabled
            self.settings = settings
        }
    }

    /// `PATCH /destinations/{id}`, its fields read; `nil` leaves a member as it is.
    public struct Update: Sendable {
        /// `.some(nil)` clears the name (`"name": null`).
        public var name: String??
        public var enabled: Bool?
        /// Merged key by key into the stored settings; `null` resets a key to its default.
        public var settings: [String: JSONValue]?

        public init(name: String?? = nil, enabled: Bool? = nil, settings: [String: JSONValue]? = nil) {
            self.name = name
            self.enabled = enabled
            self.settings = settings
        }
    }

    /// A new destination of the catalog entry `metadata`: settings checked against its options and overlaid on
    /// their defaults; records `Integration Created` under the name, or the catalog's name when there is none.
    ///
    /// - Parameter rules: `metadata`'s options prepared (`Catalog.settingsRules(destination:)`), or `nil` to prepare
    ///   them here.
    public static func create(
        _ creation: Creation, metadata: DestinationMetadata, rules: SettingsRules? = nil, workspaceID: String, actor: String, minting: Minting
    ) throws -> Change<Destination> {
        let settings = try DestinationSettings.create(
            rules: rules ?? SettingsRules(options: metadata.options), input: creation.settings, enabled: creation.enabled,
            workspaceID: workspaceID)
        let now = minting.now()
        let destination = Destination(
            id: minting.id(), workspaceID: workspaceID, sourceID: creation.sourceID, metadataID: metadata.id, name: creation.name,
            enabled: creation.enabled, settings: settings, createdAt: now, updatedAt: now)
        let audit = minting.audit(
            AuditEventType.integrationCreated, actor: actor, id: destination.id, resourceType: "destination",
            name: creation.name.isEmpty ? metadata.name : creation.name)
        return Change(destination, audit: [audit])
    }

    /// The destination after `update`: settings merged and checked, and enabling checks the required options even
    /// when no settings are sent. Records `Integration Enabled` or `Disabled`, `Integration Settings Modified` and
    /// `Integration Modified` (the name), each when it applies; an update that changes nothing records nothing and
    /// keeps `updatedAt`.
    ///
    /// - Parameters:
    ///   - metadata: The catalog entry, or `nil` when the catalog no longer has it (no options are checked).
    ///   - rules: `metadata`'s options prepared (`Catalog.settingsRules(destination:)`), or `nil` to prepare them here.
    public static func update(
        _ current: Destination, with update: Update, metadata: DestinationMetadata?, rules: SettingsRules? = nil, workspaceID: String,
        actor: String, minting: Minting
    ) throws -> Change<Destination> {
        var next = current
        if let name = update.name { next.name = name ?? "" }
        if let enabled = update.enabled { next.enabled = enabled }
        if update.settings != nil || (next.enabled && !current.enabled) {
            next.settings = try DestinationSettings.update(
                rules: rules ?? SettingsRules(options: metadata?.options ?? []), stored: current.settings, patch: update.settings ?? [:],
                enabled: next.enabled, workspaceID: workspaceID)
        }
        guard next != current else { return Change(current, audit: []) }
        next.updatedAt = minting.now()
        let label = next.name.isEmpty ? (metadata?.name ?? current.metadataID) : next.name
        var audit: [AuditEvent] = []
        func record(_ type: String) {
            audit.append(minting.audit(type, actor: actor, id: current.id, resourceType: "destination", name: label))
        }
        if next.enabled != current.enabled {
            record(next.enabled ? AuditEventType.integrationEnabled : AuditEventType.integrationDisabled)
        }
        if next.settings != current.settings { record(AuditEventType.integrationSettingsModified) }
        if next.name != current.name { record(AuditEventType.integrationModified) }
        return Change(next, audit: audit)
    }

    /// What deleting `destination` records: `Integration Deleted`.
    public static func delete(_ destination: Destination, actor: String, minting: Minting) -> [AuditEvent] {
        [minting.audit(AuditEventType.integrationDeleted, actor: actor, id: destination.id, resourceType: "destination", name: destination.name)]
    }
}
