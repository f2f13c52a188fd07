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

    private func fields(_ metadata: DestinationMetadata?, actionID: String) -> [ActionField] {
        SubscriptionUseCase.fields(of: actionID, in: metadata)
    }

    // MARK: - Operations

    /// Creates a subscription; records `Destination Subscription Created`.
    func create(_ request: Request, _ context: SluiceRequestContext) async throws -> Response {
        try checkFeature()
        let (destination, metadata) = try await self.destination(context)
        let fields = Fields(object: try await RequestBody.object(request))
        let name = try fields.text("name", limit: DestinationUseCase.nameLimit)
        guard let name else { throw APIError.validation("name is required", field: "name") }
        let creation = SubscriptionUseCase.Creation(
            name: name, actionID: try fields.requiredString("actionId"), trigger: try fields.requiredString("trigger"),
            enabled: try fields.requiredBool("enabled"), settings: try fields.object("settings") ?? [:],
            modelID: try fields.text("modelId", limit: 64) ?? "")
        let created = try SubscriptionUseCase.create(
            creation, destination: destination, metadata: metadata, actor: context.actor, minting: services.minting)
        try await services.store.createSubscription(created.resource, audit: created.audit)
        services.noteUndeliverable(destination, created: "subscription")
        return Responses.data(context, capacity: 1024) { w in
            w.key("destinationSubscription")
            WireEncoder.subscription(created.resource, fields: self.fields(metadata, actionID: created.resource.actionID), into: &w)
        }
    }

    func list(_ request: Request, _ context: SluiceRequestContext) async throws -> Response {
        try checkFeature()
        let (destination, metadata) = try await self.destination(context)
        let page = try Query(request.uri.query).pagination()
        let subscriptions = try await services.store.listSubscriptions(destinationID: destination.id, page: page)
        return Responses.list(context, key: "subscriptions", page: subscriptions, bytes: 1024 * subscriptions.items.count) { s, w in
            WireEncoder.subscription(s, fields: fields(metadata, actionID: s.actionID), into: &w)
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
            WireEncoder.subscription(subscription, fields: fields(metadata, actionID: subscription.actionID), into: &w)
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
        let created = try SubscriptionUseCase.createFromPresets(
            try fields.strings("presets"), enabled: try fields.bool("enabled") ?? true, destination: destination, metadata: metadata,
            actor: context.actor, minting: services.minting)
        for change in created {
            try await services.store.createSubscription(change.resource, audit: change.audit)
        }
        if !created.isEmpty { services.noteUndeliverable(destination, created: "subscription") }
        return Responses.data(context, capacity: 1024 * (created.count + 1)) { w in
            w.key("subscriptions")
            w.raw("[")
            for (index, change) in created.enumerated() {
                if index > 0 { w.raw(",") }
                WireEncoder.subscription(change.resource, fields: self.fields(metadata, actionID: change.resource.actionID), into: &w)
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
        let change = SubscriptionUseCase.Update(
            name: try input.text("name", limit: DestinationUseCase.nameLimit),
            trigger: try input.string("trigger").map { try SubscriptionUseCase.parseTrigger($0, field: "input.trigger") },
            enabled: try input.bool("enabled"), settings: try input.object("settings"), modelID: try input.text("reverseETLModelId", limit: 64))
        let actor = context.actor
        let minting = services.minting
        let updated = try await services.store.updateSubscription(destinationID: destination.id, id: id) { current in
            try SubscriptionUseCase.update(current, with: change, metadata: metadata, actor: actor, minting: minting).pair
        }
        return Responses.data(context, capacity: 1024) { w in
            w.key("subscription")
            WireEncoder.updatedSubscription(updated, fields: fields(metadata, actionID: updated.actionID), into: &w)
        }
    }

    /// Removes a subscription; records `Destination Subscription Deleted`.
    func remove(_ context: SluiceRequestContext) async throws -> Response {
        try checkFeature()
        let (destination, _) = try await self.destination(context)
        let id = try subscriptionID(context)
        let actor = context.actor
        let minting = services.minting
        try await services.store.deleteSubscription(destinationID: destination.id, id: id) { s in
            SubscriptionUseCase.delete(s, actor: actor, minting: minting)
        }
        return Responses.success(context)
    }
}
