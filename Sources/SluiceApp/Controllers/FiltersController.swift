import Foundation
import Hummingbird
import SluiceCore

/// Destination filters (`/destination/{destinationId}/filters`, singular as in Segment's API): create, list,
/// get, update, remove, and preview.
///
/// A destination's filters are stored with it and changed inside its own transaction, so the limit of
/// ``DestinationFilter/limit`` holds under concurrent creates. The condition (`if`) is parsed and every action
/// checked before anything is stored; docs/filters.md describes the language, the actions and their order.
struct FiltersController {
    let services: AppServices

    func register(on router: Router<SluiceRequestContext>) {
        let base = "/destination/:destinationId/filters"
        router.post(RouterPath(base)) { request, context in try await create(request, context) }
        router.get(RouterPath(base)) { request, context in try await list(request, context) }
        router.get(RouterPath(base + "/:filterId")) { _, context in try await get(context) }
        router.patch(RouterPath(base + "/:filterId")) { request, context in try await update(request, context) }
        router.delete(RouterPath(base + "/:filterId")) { _, context in try await remove(context) }
        router.post("/destination/filters/preview") { request, context in try await preview(request, context) }
    }

    // MARK: - Reading requests

    private func destination(_ context: SluiceRequestContext) async throws -> Destination {
        let id = try Identifier.pathID(context.parameters.get("destinationId"), resource: "destination")
        guard let destination = try await services.store.destination(id: id) else {
            throw APIError.notFound("No destination with id \(id)")
        }
        return destination
    }

    private func filterID(_ context: SluiceRequestContext) throws -> String {
        try Identifier.pathID(context.parameters.get("filterId"), resource: "filter")
    }

    /// The condition, parsed: a 422 naming `field` and the character where it stops making sense.
    static func condition(_ text: String, field: String) throws -> FilterQuery {
        do {
            return try FilterQuery(parsing: text)
        } catch {
            throw error.validationError(field: field)
        }
    }

    /// The actions, each checked, in their canonical JSON form.
    static func actions(_ value: JSONValue?, field: String) throws -> [DestinationFilterAction] {
        guard let value, !value.isNull else { throw APIError.validation("\(field) is required", field: field) }
        guard case .array(let items) = value else {
            throw APIError.validation("\(field) must be an array of actions, got \(value.typeName)", field: field)
        }
        guard !items.isEmpty else {
            throw APIError.validation("\(field) must hold at least one action (DROP, SAMPLE, DROP_PROPERTIES or ALLOW_PROPERTIES)", field: field)
        }
        do {
            return try items.enumerated().map { index, item throws(ValidationError) in
                try DestinationFilterAction(json: item, index: index)
            }
        } catch {
            throw ValidationError(
                field == "actions" ? error.message : error.message.replacingOccurrences(of: "actions[", with: field + "["),
                field: error.field.map { field == "actions" ? $0 : $0.replacingOccurrences(of: "actions", with: field) }, kind: error.kind)
        }
    }

    private static func description(_ fields: Fields) throws -> String?? {
        guard fields.has("description") else { return .none }
        return .some(try fields.text("description", limit: 1000))
    }

    // MARK: - Answers

    private func answer(_ context: SluiceRequestContext, _ filter: DestinationFilter) -> Response {
        Responses.data(context, capacity: 1024) { w in
            w.key("filter")
            WireEncoder.filter(filter, into: &w)
        }
    }

    // MARK: - Operations

    /// Creates a filter from `{sourceId, if, actions, title, description?, enabled}`; records `Destination Filter Created`.
    func create(_ request: Request, _ context: SluiceRequestContext) async throws -> Response {
        let destination = try await self.destination(context)
        let body = try await RequestBody.object(request)
        let fields = Fields(object: body)
        let sourceID = try fields.requiredString("sourceId")
        let conditionText = try fields.requiredString("if")
        let title = try fields.text("title", limit: DestinationUseCase.nameLimit)
        guard let title else { throw APIError.validation("title is required", field: "title") }
        let enabled = try fields.requiredBool("enabled")
        let description = try Self.description(fields) ?? nil
        let condition = try Self.condition(conditionText, field: "if")
        let actions = try Self.actions(body["actions"], field: "actions")
        let minting = services.minting
        let filter = try FilterUseCase.make(
            .init(sourceID: sourceID, condition: condition, actions: actions, title: title, description: description, enabled: enabled),
            for: destination, minting: minting)
        let actor = context.actor
        _ = try await services.store.updateDestination(id: destination.id) { current in
            try FilterUseCase.add(filter, to: current, actor: actor, minting: minting).pair
        }
        return answer(context, filter)
    }

    /// Lists a destination's filters in the order they apply. Pagination is optional here, as in Segment's API.
    func list(_ request: Request, _ context: SluiceRequestContext) async throws -> Response {
        let destination = try await self.destination(context)
        let query = Query(request.uri.query)
        let hasPagination = ["pagination", "pagination.count", "pagination[count]", "pagination.cursor", "pagination[cursor]"]
            .contains { query[$0] != nil }
        let request = hasPagination ? try query.pagination() : PageRequest(count: DestinationFilter.limit)
        let all = destination.filters
        let items = Array(all.dropFirst(request.offset).prefix(request.count))
        let page = Page(items: items, totalEntries: all.count, request: request)
        return Responses.list(context, key: "filters", page: page, bytes: 512 * page.items.count) { f, w in WireEncoder.filter(f, into: &w) }
    }

    func get(_ context: SluiceRequestContext) async throws -> Response {
        let destination = try await self.destination(context)
        let id = try filterID(context)
        guard let filter = destination.filters.first(where: { $0.id == id }) else {
            throw APIError.notFound("No filter with id \(id) on destination \(destination.id)")
        }
        return answer(context, filter)
    }

    /// Updates from `{if?, actions?, title?, description?, enabled?}` (`description: null` removes it);
    /// records `Destination Filter Modified` when anything changed.
    func update(_ request: Request, _ context: SluiceRequestContext) async throws -> Response {
        let destination = try await self.destination(context)
        let id = try filterID(context)
        let body = try await RequestBody.object(request)
        let fields = Fields(object: body)
        let condition = try fields.string("if").map { try Self.condition($0, field: "if") }
        let actions = try body["actions"].map { try Self.actions($0, field: "actions") }
        let title = try fields.text("title", limit: DestinationUseCase.nameLimit)
        if fields.has("title"), title == nil { throw APIError.validation("title must be a string", field: "title") }
        let change = FilterUseCase.Update(
            condition: condition, actions: actions, title: title, description: try Self.description(fields), enabled: try fields.bool("enabled"))
        let actor = context.actor
        let minting = services.minting
        let updated = try await services.store.updateDestination(id: destination.id) { current in
            try FilterUseCase.update(id, with: change, in: current, actor: actor, minting: minting).pair
        }
        guard let filter = updated.filters.first(where: { $0.id == id }) else {
            throw APIError.notFound("No filter with id \(id) on destination \(destination.id)")
        }
        return answer(context, filter)
    }

    /// Removes a filter; records `Destination Filter Deleted`.
    func remove(_ context: SluiceRequestContext) async throws -> Response {
        let destination = try await self.destination(context)
        let id = try filterID(context)
        let actor = context.actor
        let minting = services.minting
        _ = try await services.store.updateDestination(id: destination.id) { current in
            try FilterUseCase.remove(id, from: current, actor: actor, minting: minting).pair
        }
        return Responses.success(context)
    }

    /// `{filter: {if, actions}, payload}` → `{inputPayload, result}`: what delivery would do with the event, `result`
    /// null when the event is dropped. Changes nothing.
    func preview(_ request: Request, _ context: SluiceRequestContext) async throws -> Response {
        let body = try await RequestBody.object(request)
        let fields = Fields(object: body)
        let filter = Fields(object: try fields.requiredObject("filter"), prefix: "filter.")
        let payload = try fields.requiredObject("payload")
        let condition = try Self.condition(try filter.requiredString("if"), field: "filter.if")
        let actions = try Self.actions(filter.object["actions"], field: "filter.actions")
        let outcome = DestinationFilters.apply([DestinationFilterRule(query: condition, actions: actions)], to: .object(payload))
        return Responses.data(context, capacity: 1024) { w in
            w.key("inputPayload")
            w.value(.object(payload))
            w.raw(",")
            w.key("result")
            switch outcome {
            case .kept(let event): w.value(event)
            case .dropped: w.null()
            }
        }
    }
}
