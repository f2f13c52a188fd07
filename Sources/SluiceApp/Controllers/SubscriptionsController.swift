import Foundation
import Hummingbird
import SluiceCatalog
import SluiceCore

/// Destination subscriptions (Actions, alpha): create, list, get, update, remove.
///
/// Behind the workspace feature flag (`--subscriptions off` answers 403). An action must
/// be one of the destination's catalog actions; the trigger is parsed (FQL) and the
/// settings checked against the action's fields when saved.
struct SubscriptionsController {
    let services: AppServices

    func register(on router: Router<SluiceRequestContext>) {
        let base = "/destinations/:destinationId/subscriptions"
        router.post(RouterPath(base)) { request, context in try await create(request, context) }
        router.post(RouterPath(base + "/presets")) { request, context in try await createFromPresets(request, context) }
        router.get(RouterPath(base)) { request, context in try await list(request, context) }
        router.get(RouterPath(base + "/:id")) { _, context in try await get(context) }
        router.patch(RouterPath(base + "/:id")) { request, context in try await update(request, context) }
        router.delete(RouterPath(base + "/:id")) { _, context in try await remove(context) }
    }

    private func checkFeature() throws {
        guard services.settings.subscriptions else {
            throw APIError.forbidden(
                "The Destination Subscriptions feature is not enabled for this workspace (the server runs with --subscriptions off)")
        }
    }

    /// The destination named in the path and its catalog entry; 404 when either is missing.
    private func destination(_ context: SluiceRequestContext) async throws -> (Destination, DestinationMetadata?) {
        let id = try Identifier.pathID(context.parameters.get("destinationId"), resource: "destination")
        guard let destination = try await services.store.destination(id: id) else {
            throw APIError.notFound("No destination with id \(id)")
        }
        return (destination, services.catalog.destination(id: destination.metadataID))
    }

    private func subscriptionID(_ context: SluiceRequestContext) throws -> String {
        try Identifier.pathID(context.parameters.get("id"), resource: "subscription")
    }

    // MARK: - Wire

    /// The members both shapes open with: id, name, actionId, actionSlug, destinationId.
    private func writeHead(_ s: Subscription, into w: inout JSONWriter) {
        w.raw("{\"id\":")
        w.string(s.id)
        w.raw(",\"name\":")
        w.string(s.name)
        w.raw(",\"actionId\":")
        w.string(s.actionID)
        w.raw(",\"actionSlug\":")
        w.string(s.actionSlug)
        w.raw(",\"destinationId\":")
        w.string(s.destinationID)
    }

    /// The list and get shape: id, name, actionId, actionSlug, destinationId, modelId, enabled, trigger, settings.
    private func write(_ s: Subscription, fields: [ActionField], into w: inout JSONWriter) {
        writeHead(s, into: &w)
        w.raw(",\"modelId\":")
        w.string(s.modelID)
        w.raw(",\"enabled\":")
        w.bool(s.enabled)
        w.raw(",\"trigger\":")
        w.string(s.trigger)
        w.raw(",\"settings\":")
        w.value(.object(Self.mask(s.settings, fields: fields)))
        w.raw("}")
    }

    /// The update answer's shape (Segment's `DestinationSubscription` of the update operation).
    private func writeUpdated(_ s: Subscription, fields: [ActionField], into w: inout JSONWriter) {
        writeHead(s, into: &w)
        w.raw(",\"reverseETLModelId\":")
        w.string(s.modelID)
        w.raw(",\"trigger\":")
        w.string(s.trigger)
        w.raw(",\"enabled\":")
        w.bool(s.enabled)
        w.raw(",\"settings\":")
        w.value(.object(Self.mask(s.settings, fields: fields)))
        w.raw(",\"createdAt\":")
        w.string(Timestamps.format(s.createdAt))
        w.raw(",\"updatedAt\":")
        w.string(Timestamps.format(s.updatedAt))
        w.raw(",\"relatedResources\":[]}")
    }

    /// PASSWORD fields holding a literal string are masked like destination secrets.
    static func mask(_ settings: [String: JSONValue], fields: [ActionField]) -> [String: JSONValue] {
        var masked = settings
        for field in fields where field.type == "PASSWORD" {
            if let value = settings[field.fieldKey], case .string = value {
                masked[field.fieldKey] = DestinationSettings.maskedValue(value)
            }
        }
        return masked
    }

    private func fields(_ metadata: DestinationMetadata?, actionID: String) -> [ActionField] {
        metadata?.actions.first { $0.id == actionID }?.fields ?? []
    }

    // MARK: - Operations

    /// Creates a subscription; records `Destination Subscription Created`.
    func create(_ request: Request, _ context: SluiceRequestContext) async throws -> Response {
        try checkFeature()
        let (destination, metadata) = try await self.destination(context)
        let fields = Fields(object: try await RequestBody.object(request))
        let name = try fields.text("name", limit: SourcesController.nameLimit)
        guard let name else { throw APIError.validation("name is required", field: "name") }
        let actionID = try fields.requiredString("actionId")
        let triggerText = try fields.requiredString("trigger")
        let enabled = try fields.requiredBool("enabled")
        let settingsInput = try fields.object("settings") ?? [:]
        let modelID = try fields.text("modelId", limit: 64) ?? ""
        guard let metadata, !metadata.actions.isEmpty else {
            throw APIError.validation(
                "Destination \(destination.id) (\(metadata?.name ?? destination.metadataID)) has no actions, so it takes no subscriptions",
                field: "actionId")
        }
        guard let action = metadata.actions.first(where: { $0.id == actionID }) else {
            throw APIError.validation(
                "actionId \(actionID) is not an action of \(metadata.name); its actions are "
                    + metadata.actions.map { "\($0.id) (\($0.slug))" }.joined(separator: ", "),
                field: "actionId")
        }
        let trigger = try Self.parse(triggerText)
        let settings = try ActionSettings.validate(
            settingsInput, fields: action.fields, enabled: enabled, otherFields: metadata.unlistedFieldKeys(actionID: action.id))
        let now = Date.now
        let subscription = Subscription(
            id: Identifier.make(), destinationID: destination.id, name: name, actionID: action.id, actionSlug: action.slug,
            trigger: trigger.source, enabled: enabled, settings: settings, modelID: modelID, createdAt: now, updatedAt: now)
        let audit = services.audit(
            AuditEventType.subscriptionCreated, actor: context.actor, id: subscription.id, resourceType: "subscription", name: name)
        try await services.store.createSubscription(subscription, audit: [audit])
        services.noteUndeliverable(destination, created: "subscription")
        return Responses.data(context, capacity: 1024) { w in
            w.key("destinationSubscription")
            write(subscription, fields: action.fields, into: &w)
        }
    }

    func list(_ request: Request, _ context: SluiceRequestContext) async throws -> Response {
        try checkFeature()
        let (destination, metadata) = try await self.destination(context)
        let page = try Query(request.uri.query).pagination()
        let subscriptions = try await services.store.listSubscriptions(destinationID: destination.id, page: page)
        return Responses.list(context, key: "subscriptions", page: subscriptions, itemCapacity: 1024) { s, w in
            write(s, fields: fields(metadata, actionID: s.actionID), into: &w)
        }
    }

    func get(_ context: SluiceRequestContext) async throws -> Response {
        try checkFeature()
        let (destination, metadata) = try await self.destination(context)
        let id = try subscriptionID(context)
        guard let subscription = try await services.store.subscription(destinationID: destination.id, id: id) else {
            throw APIError.notFound("No subscription with id \(id) on destination \(destination.id)")
        }
        return Responses.data(context, capacity: 1024) { w in
            w.key("subscription")
            write(subscription, fields: fields(metadata, actionID: subscription.actionID), into: &w)
        }
    }

    /// Creates subscriptions from the catalog's presets of the destination, in one step, as Segment's app does when an
    /// Actions destination is added (a Sluice extension: `POST /destinations/{id}/subscriptions/presets`).
    ///
    /// Body: `{"presets": [names]?, "enabled": bool?}`. Without `presets`, every preset of a cloud action (the
    /// browser-only ones, such as Amplitude's session tracking, are for Segment's device mode); `enabled` defaults
    /// to true. Each preset becomes a subscription named as the preset, with its trigger and its fields as settings,
    /// checked as ``create(_:_:)`` checks them. Every preset is checked before any is created: a name that is not a
    /// preset of the destination, or a preset Sluice would refuse, is a 422 and nothing is created. Records one
    /// `Destination Subscription Created` per subscription. Calling it twice creates the subscriptions twice.
    func createFromPresets(_ request: Request, _ context: SluiceRequestContext) async throws -> Response {
        try checkFeature()
        let (destination, metadata) = try await self.destination(context)
        let fields = Fields(object: try await RequestBody.object(request))
        let names = try fields.strings("presets")
        let enabled = try fields.bool("enabled") ?? true
        guard let metadata, !metadata.presets.isEmpty else {
            throw APIError.validation(
                "Destination \(destination.id) (\(metadata?.name ?? destination.metadataID)) has no presets in the catalog", field: "presets")
        }
        let chosen: [DestinationMetadata.Preset]
        if let names {
            chosen = try names.map { name in
                guard let preset = metadata.presets.first(where: { $0.name == name }) else {
                    throw APIError.validation(
                        "\(name) is not a preset of \(metadata.name); its presets are "
                            + metadata.presets.map(\.name).joined(separator: ", "),
                        field: "presets")
                }
                return preset
            }
        } else {
            chosen = metadata.presets.filter { preset in metadata.actions.first { $0.id == preset.actionId }?.platform == "CLOUD" }
        }
        let now = Date.now
        let subscriptions = try chosen.map { preset in
            guard let action = metadata.actions.first(where: { $0.id == preset.actionId }) else {
                throw APIError.validation(
                    "Preset \(preset.name) names action \(preset.actionId), which \(metadata.name) does not have", field: "presets")
            }
            let trigger: Trigger
            let settings: [String: JSONValue]
            do {
                trigger = try Self.parse(preset.trigger)
                settings = try ActionSettings.validate(
                    preset.fields, fields: action.fields, enabled: enabled, otherFields: metadata.unlistedFieldKeys(actionID: action.id))
            } catch let error as ValidationError {
                throw APIError.validation("Preset \(preset.name): \(error.message)", field: "presets")
            } catch let error as APIError {
                throw APIError.validation("Preset \(preset.name): \(error.message)", field: "presets")
            }
            return Subscription(
                id: Identifier.make(), destinationID: destination.id, name: preset.name, actionID: action.id, actionSlug: action.slug,
                trigger: trigger.source, enabled: enabled, settings: settings, modelID: "", createdAt: now, updatedAt: now)
        }
        for subscription in subscriptions {
            let audit = services.audit(
                AuditEventType.subscriptionCreated, actor: context.actor, id: subscription.id, resourceType: "subscription",
                name: subscription.name)
            try await services.store.createSubscription(subscription, audit: [audit])
        }
        if !subscriptions.isEmpty { services.noteUndeliverable(destination, created: "subscription") }
        return Responses.data(context, capacity: 1024 * (subscriptions.count + 1)) { w in
            w.key("subscriptions")
            w.raw("[")
            for (index, subscription) in subscriptions.enumerated() {
                if index > 0 { w.raw(",") }
                write(subscription, fields: self.fields(metadata, actionID: subscription.actionID), into: &w)
            }
            w.raw("]")
        }
    }

    /// Updates from `{"input": {name?, trigger?, enabled?, settings?, reverseETLModelId?}}`; settings merge key by key.
    func update(_ request: Request, _ context: SluiceRequestContext) async throws -> Response {
        try checkFeature()
        let (destination, metadata) = try await self.destination(context)
        let id = try subscriptionID(context)
        let body = Fields(object: try await RequestBody.object(request))
        let input = Fields(object: try body.object("input") ?? [:], prefix: "input.")
        let name = try input.text("name", limit: SourcesController.nameLimit)
        let triggerText = try input.string("trigger")
        let trigger = try triggerText.map { try Self.parse($0, field: "input.trigger") }
        let enabled = try input.bool("enabled")
        let patch = try input.object("settings")
        let modelID = try input.text("reverseETLModelId", limit: 64)
        let actor = context.actor
        let services = self.services
        let action = { @Sendable (actionID: String) in metadata?.actions.first { $0.id == actionID } }
        let updated = try await services.store.updateSubscription(destinationID: destination.id, id: id) { current in
            var next = current
            if let name { next.name = name }
            if let trigger { next.trigger = trigger.source }
            if let enabled { next.enabled = enabled }
            if let modelID { next.modelID = modelID }
            if patch != nil || next.enabled != current.enabled {
                var merged = current.settings
                for (key, value) in patch ?? [:] {
                    if value.isNull { merged.removeValue(forKey: key) } else { merged[key] = value }
                }
                // A masked PASSWORD value sent back keeps the stored one.
                for (key, value) in patch ?? [:] {
                    if case .string(let text) = value, let stored = current.settings[key],
                        DestinationSettings.isMasked(text, stored: stored)
                    {
                        merged[key] = stored
                    }
                }
                do {
                    next.settings = try ActionSettings.validate(
                        merged, fields: action(current.actionID)?.fields ?? [], enabled: next.enabled,
                        otherFields: metadata?.unlistedFieldKeys(actionID: current.actionID) ?? [])
                } catch let error as ValidationError {
                    throw ValidationError(
                        error.message.replacingOccurrences(of: "settings.", with: "input.settings."),
                        field: error.field.map { "input." + $0 }, kind: error.kind)
                }
            }
            guard next != current else { return (current, []) }
            next.updatedAt = .now
            let audit = services.audit(
                AuditEventType.subscriptionModified, actor: actor, id: id, resourceType: "subscription", name: next.name)
            return (next, [audit])
        }
        return Responses.data(context, capacity: 1024) { w in
            w.key("subscription")
            writeUpdated(updated, fields: action(updated.actionID)?.fields ?? [], into: &w)
        }
    }

    /// Removes a subscription; records `Destination Subscription Deleted`.
    func remove(_ context: SluiceRequestContext) async throws -> Response {
        try checkFeature()
        let (destination, _) = try await self.destination(context)
        let id = try subscriptionID(context)
        let actor = context.actor
        let services = self.services
        try await services.store.deleteSubscription(destinationID: destination.id, id: id) { s in
            [services.audit(AuditEventType.subscriptionDeleted, actor: actor, id: s.id, resourceType: "subscription", name: s.name)]
        }
        return Responses.success(context)
    }

    static func parse(_ text: String, field: String = "trigger") throws -> Trigger {
        do {
            return try Trigger(parsing: text)
        } catch {
            throw error.validationError(field: field)
        }
    }
}
