import Foundation
import Hummingbird
import SluiceCatalog
import SluiceCore

/// Sources: create, list, get, update, delete, and their connected destinations.
struct SourcesController {
    let services: AppServices

    /// Longest source or destination name accepted.
    static let nameLimit = 256

    func register(on router: Router<SluiceRequestContext>) {
        router.post("/sources") { request, context in try await create(request, context) }
        router.get("/sources") { request, context in try await list(request, context) }
        router.get("/sources/:sourceId") { _, context in try await get(context) }
        router.patch("/sources/:sourceId") { request, context in try await update(request, context) }
        router.delete("/sources/:sourceId") { _, context in try await delete(context) }
        router.get("/sources/:sourceId/connected-destinations") { request, context in try await connected(request, context) }
    }

    static func checkSlug(_ slug: String) throws {
        let ok =
            !slug.isEmpty && slug.utf8.count <= 100
            && slug.utf8.allSatisfy { b in (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) || b == 0x2D || b == 0x5F }
        guard ok else {
            throw APIError.validation(
                "slug must be 1 to 100 characters of lower-case letters, digits, \"-\" and \"_\"", field: "slug")
        }
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
        let name = try fields.text("name", limit: Self.nameLimit)
        let settings = try fields.object("settings") ?? [:]
        try Self.checkSlug(slug)
        guard services.catalog.source(id: metadataID) != nil else {
            throw APIError.notFound("No source in the catalog with metadataId \(metadataID)")
        }
        let now = Date.now
        let source = Source(
            id: Identifier.make(), workspaceID: services.workspace.id, slug: slug, name: name, enabled: enabled, metadataID: metadataID,
            settings: settings, writeKeys: [Identifier.writeKey()], labels: [], createdAt: now, updatedAt: now)
        let audit = services.audit(AuditEventType.sourceCreated, actor: context.actor, id: source.id, resourceType: "source", name: name ?? slug)
        try await services.store.createSource(source, audit: [audit])
        // The current API answers 201 here (the 2022 document said 200; the official SDKs expect 201).
        return sourceResponse(source, key: "source", context, status: .created)
    }

    func list(_ request: Request, _ context: SluiceRequestContext) async throws -> Response {
        let page = try Query(request.uri.query).pagination()
        let sources = try await services.store.listSources(page: page)
        return Responses.list(context, key: "sources", page: sources, itemCapacity: 2048) { s, w in services.wire.source(s, into: &w) }
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
        let name = try fields.text("name", limit: Self.nameLimit)
        let clearName = fields.object["name"]?.isNull == true
        let enabled = try fields.bool("enabled")
        let slug = try fields.string("slug")
        if let slug { try Self.checkSlug(slug) }
        let settings = try fields.object("settings")
        let actor = context.actor
        let services = self.services
        let updated = try await services.store.updateSource(id: id) { current in
            var next = current
            if let name { next.name = name } else if clearName { next.name = nil }
            if let enabled { next.enabled = enabled }
            if let slug { next.slug = slug }
            if let settings {
                for (key, value) in settings {
                    if value.isNull { next.settings.removeValue(forKey: key) } else { next.settings[key] = value }
                }
            }
            guard next != current else { return (current, []) }
            next.updatedAt = .now
            var audit: [AuditEvent] = []
            let label = next.name ?? next.slug
            if next.enabled != current.enabled {
                let type = next.enabled ? AuditEventType.sourceEnabled : AuditEventType.sourceDisabled
                audit.append(services.audit(type, actor: actor, id: id, resourceType: "source", name: label))
            }
            if next.name != current.name || next.slug != current.slug || next.settings != current.settings {
                audit.append(services.audit(AuditEventType.sourceModified, actor: actor, id: id, resourceType: "source", name: label))
            }
            return (next, audit)
        }
        return sourceResponse(updated, key: "source", context)
    }

    /// Deletes the source, its destinations and their subscriptions, each with its audit event.
    func delete(_ context: SluiceRequestContext) async throws -> Response {
        let id = try Identifier.pathID(context.parameters.get("sourceId"), resource: "source")
        let actor = context.actor
        let services = self.services
        try await services.store.deleteSource(id: id) { source, destinations in
            destinations.map {
                services.audit(AuditEventType.integrationDeleted, actor: actor, id: $0.id, resourceType: "destination", name: $0.name)
            } + [services.audit(AuditEventType.sourceDeleted, actor: actor, id: id, resourceType: "source", name: source.name ?? source.slug)]
        }
        return Responses.success(context)
    }

    func connected(_ request: Request, _ context: SluiceRequestContext) async throws -> Response {
        let id = try Identifier.pathID(context.parameters.get("sourceId"), resource: "source")
        let page = try Query(request.uri.query).pagination()
        guard try await services.store.source(id: id) != nil else { throw APIError.notFound("No source with id \(id)") }
        let destinations = try await services.store.listDestinations(sourceID: id, page: page)
        return DestinationsController.listResponse(destinations, services: services, context)
    }
}
