import Foundation
import Hummingbird
import SluiceCatalog
import SluiceCore

/// Destinations: the seed's five operations (create, list, get, update, delete).
struct DestinationsController {
    let services: AppServices

    func register(on router: Router<SluiceRequestContext>) {
        router.post("/destinations") { request, context in try await create(request, context) }
        router.get("/destinations") { request, context in try await list(request, context) }
        router.get("/destinations/:destinationId") { _, context in try await get(context) }
        router.patch("/destinations/:destinationId") { request, context in try await update(request, context) }
        router.delete("/destinations/:destinationId") { _, context in try await delete(context) }
    }

    func destinationResponse(_ d: Destination, key: String, _ context: SluiceRequestContext) -> Response {
        Responses.data(context, capacity: 16_384) { w in
            w.key(key)
            services.wire.destination(d, into: &w)
        }
    }

    /// A page of destinations as stored, their settings masked once per stored text (``DestinationAnswers``).
    static func listResponse(_ page: Page<StoredDestination>, services: AppServices, _ context: SluiceRequestContext) throws -> Response {
        let settings = try page.items.map { try services.destinationAnswers.maskedSettings($0) }
        // Written by position: pairing each destination with its settings copied every destination twice.
        let positions = Page(items: Array(page.items.indices), totalEntries: page.totalEntries, request: page.request)
        let bytes = page.items.indices.reduce(0) { sum, i in
            sum + settings[i].count + (services.catalog.destinationJSON(id: page.items[i].metadataID)?.count ?? 0) + 256
        }
        return Responses.list(context, key: "destinations", page: positions, bytes: bytes) { i, w in
            services.wire.destination(page.items[i], maskedSettings: settings[i], into: &w)
        }
    }

    /// Creates a destination: settings checked against the catalog entry and overlaid on its defaults.
    func create(_ request: Request, _ context: SluiceRequestContext) async throws -> Response {
        let fields = Fields(object: try await RequestBody.object(request))
        let sourceID = try fields.requiredString("sourceId")
        let metadataID = try fields.requiredString("metadataId")
        let name = try fields.text("name", limit: DestinationUseCase.nameLimit) ?? ""
        let enabled = try fields.bool("enabled") ?? true
        let input = try fields.requiredObject("settings")
        guard let metadata = services.catalog.destination(id: metadataID) else {
            throw APIError(.notFound, type: "NotFound", message: "No destination in the catalog with metadataId \(metadataID)", field: "metadataId")
        }
        // Made only when it is the answer: a create that succeeds builds no error.
        func noSource() -> APIError {
            APIError(.notFound, type: "NotFound", message: "No source with sourceId \(sourceID)", field: "sourceId")
        }
        guard Identifier.isPlausible(sourceID) else { throw noSource() }
        // The source is not read first: the insert finds it or fails (on PostgreSQL one round trip instead of two). It
        // is read when the settings are refused, so that a missing source is still the answer then.
        let created: Change<Destination>
        do {
            created = try DestinationUseCase.create(
                .init(sourceID: sourceID, name: name, enabled: enabled, settings: input), metadata: metadata,
                rules: services.catalog.settingsRules(destination: metadataID), workspaceID: services.workspace.id,
                actor: context.actor, minting: services.minting)
        } catch {
            if try await services.store.source(id: sourceID) == nil { throw noSource() }
            throw error
        }
        do {
            try await services.store.createDestination(created.resource, audit: created.audit)
        } catch StoreError.notFound(resource: "source", _) {
            throw noSource()
        }
        services.noteUndeliverable(created.resource, created: "destination")
        return destinationResponse(created.resource, key: "destination", context)
    }

    func list(_ request: Request, _ context: SluiceRequestContext) async throws -> Response {
        let page = try Query(request.uri.query).pagination()
        return try Self.listResponse(try await services.store.listStoredDestinations(sourceID: nil, page: page), services: services, context)
    }

    func get(_ context: SluiceRequestContext) async throws -> Response {
        let id = try Identifier.pathID(context.parameters.get("destinationId"), resource: "destination")
        guard let destination = try await services.store.storedDestination(id: id) else {
            throw APIError.notFound("No destination with id \(id)")
        }
        let settings = try services.destinationAnswers.maskedSettings(destination)
        return Responses.data(context, capacity: 16_384) { w in
            w.key("destination")
            services.wire.destination(destination, maskedSettings: settings, into: &w)
        }
    }

    /// Updates name (null clears it), enabled, and settings (merged key by key, null resets to the default).
    ///
    /// The merge runs inside the store's write transaction, so concurrent updates of different keys all land.
    func update(_ request: Request, _ context: SluiceRequestContext) async throws -> Response {
        let id = try Identifier.pathID(context.parameters.get("destinationId"), resource: "destination")
        let fields = Fields(object: try await RequestBody.object(request))
        let name = try fields.text("name", limit: DestinationUseCase.nameLimit)
        let clearName = fields.object["name"]?.isNull == true
        let change = DestinationUseCase.Update(
            name: clearName ? .some(nil) : name.map { .some($0) }, enabled: try fields.bool("enabled"), settings: try fields.object("settings"))
        let actor = context.actor
        let services = self.services
        let updated = try await services.store.updateDestination(id: id) { current in
            try DestinationUseCase.update(
                current, with: change, metadata: services.catalog.destination(id: current.metadataID),
                rules: services.catalog.settingsRules(destination: current.metadataID), workspaceID: services.workspace.id, actor: actor,
                minting: services.minting
            ).pair
        }
        return destinationResponse(updated, key: "destination", context)
    }

    /// Deletes a destination and its subscriptions; records `Integration Deleted`.
    func delete(_ context: SluiceRequestContext) async throws -> Response {
        let id = try Identifier.pathID(context.parameters.get("destinationId"), resource: "destination")
        let actor = context.actor
        let services = self.services
        try await services.store.deleteDestination(id: id) { d in DestinationUseCase.delete(d, actor: actor, minting: services.minting) }
        services.destinationAnswers.forget(id: id)
        return Responses.success(context)
    }
}
