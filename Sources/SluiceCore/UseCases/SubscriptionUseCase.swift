import Foundation

/// The rules of an Actions subscription: the action must be one of the destination's catalog actions, the trigger
/// parses, the settings fit the action's fields; PASSWORD fields are masked in every answer. Pure: the caller reads
/// the destination, its catalog entry and the current subscription, and stores the result in one transaction.
public enum SubscriptionUseCase {
    /// `POST /destinations/{id}/subscriptions`, its fields read.
    public struct Creation: Sendable {
        public var name: String
        public var actionID: String
        public var trigger: String
        public var enabled: Bool
        public var settings: [String: JSONValue]
        public var modelID: String

        public init(name: String, actionID: String, trigger: String, enabled: Bool, settings: [String: JSONValue], modelID: String) {
            self.name = name
            self.actionID = actionID
            self.trigger = trigger
            self.enabled = enabled
            self.settings = settings
            self.modelID = modelID
        }
    }

    /// `PATCH /destinations/{id}/subscriptions/{id}`'s `input`, read; `nil` leaves a member as it is.
    public struct Update: Sendable {
        public var name: String?
        /// Parsed while the request is read, so that a bad trigger is a 422 before any lookup.
        public var trigger: Trigger?
        public var enabled: Bool?
        /// Merged key by key; `null` removes a key; a masked PASSWORD value sent back keeps the stored one.
        public var settings: [String: JSONValue]?
        public var modelID: String?

        public init(
            name: String? = nil, trigger: Trigger? = nil, enabled: Bool? = nil, settings: [String: JSONValue]? = nil,
            modelID: String? = nil
        ) {
            self.name = name
            self.trigger = trigger
            self.enabled = enabled
            self.settings = settings
            self.modelID = modelID
        }
    }

    /// The trigger `text`, parsed; a 422 naming `field` and where it stops making sense.
    public static func parseTrigger(_ text: String, field: String = "trigger") throws(ValidationError) -> Trigger {
        do {
            return try Trigger(parsing: text)
        } catch {
            throw error.validationError(field: field)
        }
    }

    /// A new subscription of `destination`; records `Destination Subscription Created`.
    ///
    /// - Parameter metadata: The destination's catalog entry; `nil` (no longer in the catalog) takes no subscriptions.
    public static func create(
        _ creation: Creation, destination: Destination, metadata: DestinationMetadata?, actor: String, minting: Minting
    ) throws -> Change<Subscription> {
        guard let metadata, !metadata.actions.isEmpty else {
            throw ValidationError(
                "Destination \(destination.id) (\(metadata?.name ?? destination.metadataID)) has no actions, so it takes no subscriptions",
                field: "actionId")
        }
        guard let action = metadata.actions.first(where: { $0.id == creation.actionID }) else {
            throw ValidationError(
                "actionId \(creation.actionID) is not an action of \(metadata.name); its actions are "
                    + metadata.actions.map { "\($0.id) (\($0.slug))" }.joined(separator: ", "),
                field: "actionId")
        }
        let trigger = try parseTrigger(creation.trigger)
        let settings = try ActionSettings.validate(
            creation.settings, fields: action.fields, enabled: creation.enabled, otherFields: metadata.unlistedFieldKeys(actionID: action.id))
        let now = minting.now()
        let subscription = Subscription(
            id: minting.id(), destinationID: destination.id, name: creation.name, actionID: action.id, actionSlug: action.slug,
            trigger: trigger.source, enabled: creation.enabled, settings: settings, modelID: creation.modelID, createdAt: now,
            updatedAt: now)
        let audit = minting.audit(
            AuditEventType.subscriptionCreated, actor: actor, id: subscription.id, resourceType: "subscription", name: creation.name)
        return Change(subscription, audit: [audit])
    }

    /// Subscriptions made from the catalog's presets of `destination`, as Segment's app makes them when an Actions
    /// destination is added: each named as its preset, with its trigger and its fields as settings, checked as
    /// ``create(_:destination:metadata:actor:minting:)`` checks them. Every preset is checked before any is made: a
    /// name that is not a preset, or a preset Sluice would refuse, fails the whole call. Without `names`, every preset
    /// of a cloud action (the browser-only ones are for Segment's device mode).
    public static func createFromPresets(
        _ names: [String]?, enabled: Bool, destination: Destination, metadata: DestinationMetadata?, actor: String, minting: Minting
    ) throws -> [Change<Subscription>] {
        guard let metadata, !metadata.presets.isEmpty else {
            throw ValidationError(
                "Destination \(destination.id) (\(metadata?.name ?? destination.metadataID)) has no presets in the catalog", field: "presets")
        }
        let chosen: [DestinationMetadata.Preset]
        if let names {
            chosen = try names.map { name throws(ValidationError) in
                guard let preset = metadata.presets.first(where: { $0.name == name }) else {
                    throw ValidationError(
                        "\(name) is not a preset of \(metadata.name); its presets are " + metadata.presets.map(\.name).joined(separator: ", "),
                        field: "presets")
                }
                return preset
            }
        } else {
            chosen = metadata.presets.filter { preset in metadata.actions.first { $0.id == preset.actionId }?.platform == "CLOUD" }
        }
        let now = minting.now()
        return try chosen.map { preset throws(ValidationError) in
            guard let action = metadata.actions.first(where: { $0.id == preset.actionId }) else {
                throw ValidationError("Preset \(preset.name) names action \(preset.actionId), which \(metadata.name) does not have", field: "presets")
            }
            let trigger: Trigger
            let settings: [String: JSONValue]
            do throws(ValidationError) {
                trigger = try parseTrigger(preset.trigger)
                settings = try ActionSettings.validate(
                    preset.fields, fields: action.fields, enabled: enabled, otherFields: metadata.unlistedFieldKeys(actionID: action.id))
            } catch {
                throw ValidationError("Preset \(preset.name): \(error.message)", field: "presets")
            }
            let subscription = Subscription(
                id: minting.id(), destinationID: destination.id, name: preset.name, actionID: action.id, actionSlug: action.slug,
                trigger: trigger.source, enabled: enabled, settings: settings, modelID: "", createdAt: now, updatedAt: now)
            let audit = minting.audit(
                AuditEventType.subscriptionCreated, actor: actor, id: subscription.id, resourceType: "subscription", name: preset.name)
            return Change(subscription, audit: [audit])
        }
    }

    /// The subscription after `update`: settings merged key by key and checked against the action's fields (errors
    /// name `input.settings...`); records `Destination Subscription Modified` when anything changed.
    public static func update(
        _ current: Subscription, with update: Update, metadata: DestinationMetadata?, actor: String, minting: Minting
    ) throws -> Change<Subscription> {
        var next = current
        if let name = update.name { next.name = name }
        if let trigger = update.trigger { next.trigger = trigger.source }
        if let enabled = update.enabled { next.enabled = enabled }
        if let modelID = update.modelID { next.modelID = modelID }
        if update.settings != nil || next.enabled != current.enabled {
            let patch = update.settings ?? [:]
            var merged = current.settings
            for (key, value) in patch {
                if value.isNull { merged.removeValue(forKey: key) } else { merged[key] = value }
            }
            for (key, value) in patch {
                if case .string(let text) = value, let stored = current.settings[key], DestinationSettings.isMasked(text, stored: stored) {
                    merged[key] = stored
                }
            }
            do throws(ValidationError) {
                next.settings = try ActionSettings.validate(
                    merged, fields: fields(of: current.actionID, in: metadata), enabled: next.enabled,
                    otherFields: metadata?.unlistedFieldKeys(actionID: current.actionID) ?? [])
            } catch {
                throw ValidationError(
                    error.message.replacingOccurrences(of: "settings.", with: "input.settings."),
                    field: error.field.map { "input." + $0 }, kind: error.kind)
            }
        }
        guard next != current else { return Change(current, audit: []) }
        next.updatedAt = minting.now()
        let audit = minting.audit(AuditEventType.subscriptionModified, actor: actor, id: current.id, resourceType: "subscription", name: next.name)
        return Change(next, audit: [audit])
    }

    /// What removing `subscription` records: `Destination Subscription Deleted`.
    public static func delete(_ subscription: Subscription, actor: String, minting: Minting) -> [AuditEvent] {
        [minting.audit(AuditEventType.subscriptionDeleted, actor: actor, id: subscription.id, resourceType: "subscription", name: subscription.name)]
    }

    /// The fields of the action `actionID` in `metadata`; none when either is missing.
    public static func fields(of actionID: String, in metadata: DestinationMetadata?) -> [ActionField] {
        metadata?.actions.first { $0.id == actionID }?.fields ?? []
    }

    /// The settings as answers show them: a PASSWORD field holding a literal string is masked like a destination's
    /// secrets.
    public static func masked(_ settings: [String: JSONValue], fields: [ActionField]) -> [String: JSONValue] {
        var masked = settings
        for field in fields where field.type == "PASSWORD" {
            if let value = settings[field.fieldKey], case .string = value {
                masked[field.fieldKey] = DestinationSettings.maskedValue(value)
            }
        }
        return masked
    }
}
