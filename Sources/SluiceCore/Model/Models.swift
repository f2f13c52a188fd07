import Foundation

/// The one workspace a Sluice store holds (`WorkspaceV1`).
public struct Workspace: Sendable, Equatable, Codable {
    public var id: String
    public var name: String
    public var slug: String

    public init(id: String, name: String, slug: String) {
        self.id = id
        self.name = name
        self.slug = slug
    }
}

/// A Public API token, known to the store only by its SHA-256 hash.
public struct APIToken: Sendable, Equatable {
    public var id: String
    /// Lower-case hex SHA-256 of the token's text.
    public var hash: String
    /// A read-only token may read anything and write nothing (403).
    public var readOnly: Bool
    public var createdAt: Date

    public init(id: String, hash: String, readOnly: Bool, createdAt: Date) {
        self.id = id
        self.hash = hash
        self.readOnly = readOnly
        self.createdAt = createdAt
    }
}

/// A key/value label on a source (`LabelV1`).
public struct Label: Sendable, Equatable, Codable {
    public var key: String
    public var value: String
    public var description: String?

    public init(key: String, value: String, description: String? = nil) {
        self.key = key
        self.value = value
        self.description = description
    }
}

/// A source: where events come from (`SourceV1`).
public struct Source: Sendable, Equatable {
    public var id: String
    public var workspaceID: String
    public var slug: String
    public var name: String?
    public var enabled: Bool
    public var metadataID: String
    public var settings: [String: JSONValue]
    public var writeKeys: [String]
    public var labels: [Label]
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: String, workspaceID: String, slug: String, name: String?, enabled: Bool, metadataID: String,
        settings: [String: JSONValue], writeKeys: [String], labels: [Label], createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.workspaceID = workspaceID
        self.slug = slug
        self.name = name
        self.enabled = enabled
        self.metadataID = metadataID
        self.settings = settings
        self.writeKeys = writeKeys
        self.labels = labels
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// A destination: an instance of a catalog entry connected to one source (`DestinationV1`).
public struct Destination: Sendable, Equatable {
    public var id: String
    public var workspaceID: String
    public var sourceID: String
    public var metadataID: String
    public var name: String
    public var enabled: Bool
    /// Settings as stored: secrets in clear. Mask before they leave.
    public var settings: [String: JSONValue]
    public var createdAt: Date
    public var updatedAt: Date
    /// Its destination filters, in the order they apply (at most ``DestinationFilter/limit``). Changing them does not
    /// change ``updatedAt``, as at Segment (a filter has times of its own).
    public var filters: [DestinationFilter]

    public init(
        id: String, workspaceID: String, sourceID: String, metadataID: String, name: String, enabled: Bool,
        settings: [String: JSONValue], createdAt: Date, updatedAt: Date, filters: [DestinationFilter] = []
    ) {
        self.filters = filters
        self.id = id
        self.workspaceID = workspaceID
        self.sourceID = sourceID
        self.metadataID = metadataID
        self.name = name
        self.enabled = enabled
        self.settings = settings
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// A destination as its store holds it, read for an answer (`DestinationV1`): its settings are still the stored JSON
/// text, secrets sealed as they are at rest, so nothing is parsed or opened until it is needed.
///
/// Equal ``settingsText`` means equal settings: a sealed secret is a fresh ciphertext every time it is sealed, so any
/// change to a setting (a secret, a key rotation, sealing at start) changes the text. What is worked out from the
/// settings alone (masked settings) can therefore be kept by destination id and this text.
public struct StoredDestination: Sendable, Equatable {
    public var id: String
    public var sourceID: String
    public var metadataID: String
    public var name: String
    public var enabled: Bool
    /// The settings column as stored: a JSON object, secrets sealed (or in clear in a store that is not sealed).
    public var settingsText: String

    public init(id: String, sourceID: String, metadataID: String, name: String, enabled: Bool, settingsText: String) {
        self.id = id
        self.sourceID = sourceID
        self.metadataID = metadataID
        self.name = name
        self.enabled = enabled
        self.settingsText = settingsText
    }
}

/// An Actions subscription of a destination: an action, a trigger and field mappings.
public struct Subscription: Sendable, Equatable {
    public var id: String
    public var destinationID: String
    public var name: String
    public var actionID: String
    public var actionSlug: String
    public var trigger: String
    public var enabled: Bool
    public var settings: [String: JSONValue]
    public var modelID: String
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: String, destinationID: String, name: String, actionID: String, actionSlug: String, trigger: String,
        enabled: Bool, settings: [String: JSONValue], modelID: String, createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.destinationID = destinationID
        self.name = name
        self.actionID = actionID
        self.actionSlug = actionSlug
        self.trigger = trigger
        self.enabled = enabled
        self.settings = settings
        self.modelID = modelID
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// One entry of the audit trail (`AuditEventV1`).
public struct AuditEvent: Sendable, Equatable {
    public var id: String
    public var timestamp: Date
    /// Segment's event name, e.g. `Integration Created`; see ``AuditEventType``.
    public var type: String
    /// Who did it: `public-api-token/<token id>`, or `sluice/cli`.
    public var actor: String
    public var resourceID: String
    public var resourceType: String
    public var resourceName: String

    public init(
        id: String = Identifier.make(), timestamp: Date, type: String, actor: String, resourceID: String,
        resourceType: String, resourceName: String
    ) {
        self.id = id
        self.timestamp = timestamp
        self.type = type
        self.actor = actor
        self.resourceID = resourceID
        self.resourceType = resourceType
        self.resourceName = resourceName
    }
}

/// The audit event names Sluice records, as Segment names them.
public enum AuditEventType {
    public static let sourceCreated = "Source Created"
    public static let sourceModified = "Source Modified"
    public static let sourceEnabled = "Source Enabled"
    public static let sourceDisabled = "Source Disabled"
    public static let sourceDeleted = "Source Deleted"
    public static let integrationCreated = "Integration Created"
    public static let integrationModified = "Integration Modified"
    public static let integrationSettingsModified = "Integration Settings Modified"
    public static let integrationEnabled = "Integration Enabled"
    public static let integrationDisabled = "Integration Disabled"
    public static let integrationDeleted = "Integration Deleted"
    public static let subscriptionCreated = "Destination Subscription Created"
    public static let subscriptionModified = "Destination Subscription Modified"
    public static let subscriptionDeleted = "Destination Subscription Deleted"
    public static let filterCreated = "Destination Filter Created"
    public static let filterModified = "Destination Filter Modified"
    public static let filterDeleted = "Destination Filter Deleted"
    public static let catalogImported = "Catalog Imported"
    public static let tokenCreated = "Access Token Created"
    public static let tokenDeleted = "Access Token Deleted"
    public static let writeKeyCreated = "Source Write Key Created"
    public static let writeKeyDeleted = "Source Write Key Deleted"
    /// Sluice's own (Segment has no pause): delivery to a destination paused and resumed (issue 17).
    public static let deliveryPaused = "Destination Delivery Paused"
    public static let deliveryResumed = "Destination Delivery Resumed"
    /// Sluice's own: a destination's rate limit set or removed; the breaker marking it failing, and its recovery.
    public static let deliveryRateLimitChanged = "Destination Delivery Rate Limit Changed"
    public static let deliveryFailing = "Destination Delivery Failing"
    public static let deliveryRecovered = "Destination Delivery Recovered"
    /// Sluice's own: failed events of a destination put back into delivery (issue 17).
    public static let failedEventsReplayed = "Destination Failed Events Replayed"
}

/// Filters of the audit listing (`listAuditEvents`).
public struct AuditFilter: Sendable, Equatable {
    public var startTime: Date?
    public var endTime: Date?
    public var resourceID: String?
    public var resourceType: String?

    public init(startTime: Date? = nil, endTime: Date? = nil, resourceID: String? = nil, resourceType: String? = nil) {
        self.startTime = startTime
        self.endTime = endTime
        self.resourceID = resourceID
        self.resourceType = resourceType
    }
}
