import Foundation

/// A catalog entry for a destination, in the shape of Segment's `DestinationMetadataV1`
/// (plus the newer fields the current API returns: contacts, partnerOwned,
/// supportedRegions, regionEndpoints, component owners, warehouse and cloudAppObject platforms).
///
/// The property order is the wire order; ``Catalog`` encodes each entry once.
public struct DestinationMetadata: Sendable, Codable, Equatable {
    public var id: String
    public var name: String
    public var description: String
    public var slug: String
    public var logos: Logos
    public var options: [IntegrationOption]
    public var status: String
    public var categories: [String]
    public var website: String
    public var components: [Component]
    public var previousNames: [String]
    public var supportedMethods: SupportedMethods
    public var supportedPlatforms: SupportedPlatforms
    public var supportedFeatures: SupportedFeatures
    public var actions: [DestinationAction]
    public var presets: [Preset]
    public var contacts: [Contact]
    public var partnerOwned: Bool
    public var supportedRegions: [String]
    public var regionEndpoints: [String]

    public init(
        id: String, name: String, description: String, slug: String, logos: Logos, options: [IntegrationOption],
        status: String, categories: [String], website: String, components: [Component], previousNames: [String],
        supportedMethods: SupportedMethods, supportedPlatforms: SupportedPlatforms, supportedFeatures: SupportedFeatures,
        actions: [DestinationAction], presets: [Preset], contacts: [Contact], partnerOwned: Bool,
        supportedRegions: [String], regionEndpoints: [String]
    ) {
        self.id = id
        self.name = name
        self.description = description
        self.slug = slug
        self.logos = logos
        self.options = options
        self.status = status
        self.categories = categories
        self.website = website
        self.components = components
        self.previousNames = previousNames
        self.supportedMethods = supportedMethods
        self.supportedPlatforms = supportedPlatforms
        self.supportedFeatures = supportedFeatures
        self.actions = actions
        self.presets = presets
        self.contacts = contacts
        self.partnerOwned = partnerOwned
        self.supportedRegions = supportedRegions
        self.regionEndpoints = regionEndpoints
    }

    /// Logo URLs (`LogosBeta`).
    public struct Logos: Sendable, Codable, Equatable {
        public var `default`: String
        public var mark: String?
        public var alt: String?
        public init(default: String, mark: String? = nil, alt: String? = nil) {
            self.default = `default`
            self.mark = mark
            self.alt = alt
        }
    }

    /// A component (`DestinationMetadataComponentV1`): `type` is BROWSER, IOS, ANDROID or SERVER.
    public struct Component: Sendable, Codable, Equatable {
        public var code: String
        public var owner: String?
        public var type: String
        public init(code: String, owner: String?, type: String) {
            self.code = code
            self.owner = owner
            self.type = type
        }
    }

    /// Which event types the destination accepts (`DestinationMetadataMethodsV1`).
    public struct SupportedMethods: Sendable, Codable, Equatable {
        public var track: Bool
        public var pageview: Bool
        public var identify: Bool
        public var group: Bool
        public var alias: Bool
        public init(track: Bool, pageview: Bool, identify: Bool, group: Bool, alias: Bool) {
            self.track = track
            self.pageview = pageview
            self.identify = identify
            self.group = group
            self.alias = alias
        }
    }

    /// Where the destination runs (`DestinationMetadataPlatformsV1` plus the newer flags).
    public struct SupportedPlatforms: Sendable, Codable, Equatable {
        public var browser: Bool
        public var mobile: Bool
        public var server: Bool
        public var warehouse: Bool
        public var cloudAppObject: Bool
        public init(browser: Bool, mobile: Bool, server: Bool, warehouse: Bool, cloudAppObject: Bool) {
            self.browser = browser
            self.mobile = mobile
            self.server = server
            self.warehouse = warehouse
            self.cloudAppObject = cloudAppObject
        }
    }

    /// Feature flags (`DestinationMetadataFeaturesV1`).
    public struct SupportedFeatures: Sendable, Codable, Equatable {
        public var cloudModeInstances: String
        public var deviceModeInstances: String
        public var replay: Bool
        public var browserUnbundling: Bool
        public var browserUnbundlingPublic: Bool
        public init(
            cloudModeInstances: String, deviceModeInstances: String, replay: Bool, browserUnbundling: Bool,
            browserUnbundlingPublic: Bool
        ) {
            self.cloudModeInstances = cloudModeInstances
            self.deviceModeInstances = deviceModeInstances
            self.replay = replay
            self.browserUnbundling = browserUnbundling
            self.browserUnbundlingPublic = browserUnbundlingPublic
        }
    }

    /// A subscription preset (`DestinationMetadataSubscriptionPresetV1`).
    public struct Preset: Sendable, Codable, Equatable {
        public var actionId: String
        public var name: String
        public var fields: [String: JSONValue]
        public var trigger: String
        public init(actionId: String, name: String, fields: [String: JSONValue], trigger: String) {
            self.actionId = actionId
            self.name = name
            self.fields = fields
            self.trigger = trigger
        }
    }

    /// A partner contact (`Contact`).
    public struct Contact: Sendable, Codable, Equatable {
        public var name: String
        public var email: String
        public var role: String
        public var isPrimary: Bool
        public init(name: String, email: String, role: String, isPrimary: Bool) {
            self.name = name
            self.email = email
            self.role = role
            self.isPrimary = isPrimary
        }
    }
}

/// A destination or source setting's definition (`IntegrationOptionBeta`).
///
/// `type` is one of the catalog's option types: `string`, `password`, `select`,
/// `boolean`, `number`, `array`, `map`, `text-map`, `mixed`, `color`.
public struct IntegrationOption: Sendable, Codable, Equatable {
    public var name: String
    public var type: String
    public var defaultValue: JSONValue?
    public var description: String
    public var required: Bool
    public var label: String

    public init(name: String, type: String, defaultValue: JSONValue?, description: String, required: Bool, label: String) {
        self.name = name
        self.type = type
        self.defaultValue = defaultValue
        self.description = description
        self.required = required
        self.label = label
    }

    /// Whether clients may not set this option: its label ends in `(Read-Only)` (a product choice, see NOTES.md).
    public var isReadOnly: Bool { label.hasSuffix("(Read-Only)") }
}

/// An Actions destination's action (`DestinationMetadataActionV1`).
public struct DestinationAction: Sendable, Codable, Equatable {
    public var id: String
    public var slug: String
    public var name: String
    public var description: String
    public var platform: String
    public var hidden: Bool
    public var defaultTrigger: String?
    public var fields: [ActionField]

    public init(
        id: String, slug: String, name: String, description: String, platform: String, hidden: Bool,
        defaultTrigger: String?, fields: [ActionField]
    ) {
        self.id = id
        self.slug = slug
        self.name = name
        self.description = description
        self.platform = platform
        self.hidden = hidden
        self.defaultTrigger = defaultTrigger
        self.fields = fields
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(slug, forKey: .slug)
        try c.encode(name, forKey: .name)
        try c.encode(description, forKey: .description)
        try c.encode(platform, forKey: .platform)
        try c.encode(hidden, forKey: .hidden)
        try c.encode(defaultTrigger, forKey: .defaultTrigger)  // null when absent, as Segment answers
        try c.encode(fields, forKey: .fields)
    }
}

/// A field of an action (`DestinationMetadataActionFieldV1`).
///
/// `type` is one of BOOLEAN, DATETIME, HIDDEN, INTEGER, NUMBER, OBJECT, PASSWORD, STRING, TEXT.
public struct ActionField: Sendable, Codable, Equatable {
    public var id: String
    public var sortOrder: Double
    public var fieldKey: String
    public var label: String
    public var type: String
    public var description: String
    public var placeholder: String?
    public var defaultValue: JSONValue?
    public var required: Bool
    public var multiple: Bool
    public var choices: JSONValue?
    public var dynamic: Bool
    public var allowNull: Bool
    public var hidden: Bool

    public init(
        id: String, sortOrder: Double, fieldKey: String, label: String, type: String, description: String,
        placeholder: String?, defaultValue: JSONValue?, required: Bool, multiple: Bool, choices: JSONValue?,
        dynamic: Bool, allowNull: Bool, hidden: Bool
    ) {
        self.id = id
        self.sortOrder = sortOrder
        self.fieldKey = fieldKey
        self.label = label
        self.type = type
        self.description = description
        self.placeholder = placeholder
        self.defaultValue = defaultValue
        self.required = required
        self.multiple = multiple
        self.choices = choices
        self.dynamic = dynamic
        self.allowNull = allowNull
        self.hidden = hidden
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(sortOrder, forKey: .sortOrder)
        try c.encode(fieldKey, forKey: .fieldKey)
        try c.encode(label, forKey: .label)
        try c.encode(type, forKey: .type)
        try c.encode(description, forKey: .description)
        try c.encodeIfPresent(placeholder, forKey: .placeholder)
        try c.encodeIfPresent(defaultValue, forKey: .defaultValue)
        try c.encode(required, forKey: .required)
        try c.encode(multiple, forKey: .multiple)
        try c.encode(choices ?? .null, forKey: .choices)  // null when absent, as Segment answers
        try c.encode(dynamic, forKey: .dynamic)
        try c.encode(allowNull, forKey: .allowNull)
        try c.encode(hidden, forKey: .hidden)
    }
}

/// A source catalog entry (`SourceMetadataV1`).
public struct SourceMetadata: Sendable, Codable, Equatable {
    public var id: String
    public var name: String
    public var slug: String
    public var description: String
    public var logos: DestinationMetadata.Logos
    public var options: [IntegrationOption]
    public var categories: [String]
    public var isCloudEventSource: Bool
    /// `PUBLIC`, `PUBLIC_BETA`, ... as for destinations (the current API requires it).
    public var status: String
    public var partnerOwned: Bool

    public init(
        id: String, name: String, slug: String, description: String, logos: DestinationMetadata.Logos,
        options: [IntegrationOption], categories: [String], isCloudEventSource: Bool, status: String = "PUBLIC",
        partnerOwned: Bool = false
    ) {
        self.status = status
        self.partnerOwned = partnerOwned
        self.id = id
        self.name = name
        self.slug = slug
        self.description = description
        self.logos = logos
        self.options = options
        self.categories = categories
        self.isCloudEventSource = isCloudEventSource
    }
}

extension DestinationMetadata {
    /// The two settings of an action's batch form, which belong together.
    public static let batchingKeys: Set<String> = ["enable_batching", "batch_size"]

    /// Keys an action takes that the catalog's field list of it leaves out.
    ///
    /// Segment's catalog lists an action's fields from a snapshot that lacks some of them (`batch_size`,
    /// `internalAdditionalData`, `timestamp`, …) while its own presets for the action set them: 48 of the catalog's
    /// 356 presets carry such keys. Those keys are fields of the action in Segment's action definitions
    /// (segmentio/action-destinations, checked for every one of them), so Sluice takes as the action's fields its
    /// catalog fields, the keys its presets set, and, for an action with a batch form (either batching key among
    /// those), both batching keys. A key none of these names is still refused.
    public func unlistedFieldKeys(actionID: String) -> Set<String> {
        guard let action = actions.first(where: { $0.id == actionID }) else { return [] }
        let listed = Set(action.fields.map(\.fieldKey))
        var keys = Set(presets.filter { $0.actionId == actionID }.flatMap(\.fields.keys))
        if !listed.union(keys).isDisjoint(with: Self.batchingKeys) { keys.formUnion(Self.batchingKeys) }
        return keys.subtracting(listed)
    }
}
