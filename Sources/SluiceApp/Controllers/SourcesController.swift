import Foundation
import Hummingbird
import SluiceCatalog
import SluiceCore

/// Sources: create, list, get, update, delete, and their connected destinations.
struct SourcesController {
    let services: AppServices

    func register(on router: Router<SluiceRequestContext>) {
        router.post("/sources") { request, context in try await create(request, context) }
        router.get("/sources") { request, context in try await list(request, context) }
        router.get("/sources/:sourceId") { _, context in try await get(context) }
        router.patch("/sources/:sourceId") { request, context in try await update(request, context) }
        router.delete("/sources/:sourceId") { _, context in try await delete(context) }
        router.get("/sources/:sourceId/connected-destinations") { request, context in try await connected(request, context) }
    }

    func sourceResponse(_ source: Source, key: String, _ context: SluiceRequestContext, status: HTTPResponse.Status = .ok) -> Response {
        Responses.data(context, status: status, capacity: 2048) { w in
            w.key(key)
            services.wire.source(source, into: &w)
        }
    }

    /// Creates a source with one new write key; records `Source Created`.
    func create(_ request: Request, _ context: SluiceRequestContext) async throws -> Response {
        let fields = Fields(object: try await RequestBody.object(request))
        let slug = try fields.requiredString("slug")
        let enabled = try fields.requiredBool("enabled")
        let metadataID = try fields.requiredString("metadataId")
        let name = try fields.text("name", limit: DestinationUseCase.nameLimit)
        let settings = try fields.object("settings") ?? [:]
        try SourceUseCase.checkSlug(slug)
        guard services.catalog.source(id: metadataID) != nil else {
            throw APIError.notFound("No source in the catalog with metadataId \(metadataID)")
        }
        let created = try SourceUseCase.create(
            .init(slug: slug, name: name, enabled: enabled, metadataID: metadataID, settings: settings), workspaceID: services.workspace.id,
            actor: context.actor, minting: services.minting)
        try await services.store.createSource(created.resource, audit: created.audit)
        // The current API answers 201 here (the 2022 document said 200; the official SDKs expect 201).
        return sourceResponse(created.resource, key: "source", context, status: .created)
    }

    func list(_ request: Request, _ context: SluiceRequestContext) async throws -> Response {
        let page = try Query(request.uri.query).pagination()
        let sources = try await services.store.listSources(page: page)
        return Responses.list(context, key: "sources", page: sources, bytes: 2048 * sources.items.count) { s, w in services.wire.source(s, into: &w) }
    }

    func get(_ context: SluiceRequestContext) async throws -> Response {
        let id = try Identifier.pathID(context.parameters.get("sourceId"), resource: "source")
        guard let source = try await services.store.source(id: id) else { throw APIError.notFound("No source with id \(id)") }
        return sourceResponse(source, key: "source", context)
    }

    /// Updates name, enabled, slug and settings (merged key by key; `null` removes a key).
    func update(_ request: Request, _ context: SluiceRequestContext) async throws -> Response {
        let id = try Identifier.pathID(context.parameters.get("sourceId"), resource: "source")
        let fields = Fields(object: try await RequestBody.object(request))
        let name = try fields.text("name", limit: DestinationUseCase.nameLimit)
        let clearName = fields.object["name"]?.isNull == true
        let enabled = try fields.bool("enabled")
        let slug = try fields.string("slug")
        // Checked before the source is read, so that a bad slug is a 422 whether or not the source exists.
        if let slug { try SourceUseCase.checkSlug(slug) }
        let change = SourceUseCase.Update(
            name: clearName ? .some(nil) : name.map { .some($0) }, enabled: enabled, slug: slug, settings: try fields.object("settings"))
        let actor = context.actor
        let minting = services.minting
        let updated = try await services.store.updateSource(id: id) { current in
            try SourceUseCase.update(current, with: change, actor: actor, minting: minting).pair
        }
        return sourceResponse(updated, key: "source", context)
    }

    /// Deletes the source, its destinations and their subscriptions, each with its audit event.
    func delete(_ context: SluiceRequestContext) async throws -> Response {
        let id = try Identifier.pathID(context.parameters.get("sourceId"), resource: "source")
        let actor = context.actor
        let minting = services.minting
        try await services.store.deleteSource(id: id) { source, destinations in
            SourceUseCase.delete(source, destinations: destinations, actor: actor, minting: minting)
        }
        return Responses.success(context)
    }

    func connected(_ request: Request, _ context: SluiceRequestContext) async throws -> Response {
        let id = try Identifier.pathID(context.parameters.get("sourceId"), resource: "source")
        let page = try Query(request.uri.query).pagination()
        guard try await services.store.source(id: id) != nil else { throw APIError.notFound("No source with id \(id)") }
        let destinations = try await services.store.listStoredDestinations(sourceID: id, page: page)
        return try DestinationsController.listResponse(destinations, services: services, context)
    }
}
