import Foundation
import Hummingbird
import SluiceCatalog
import SluiceCore
import SluiceDelivery

/// Sluice extensions under `/sluice/` that answer questions and change nothing (issue 18; the console uses them):
///
/// - `GET /sluice/token`: the token the request was made with: its id and whether it is read-only (never its text).
/// - `GET /sluice/integrations`: the catalog destinations Sluice delivers to (every other one is configured and
///   listed as at Segment, and takes no events).
/// - `POST /sluice/triggers/check`: does an event match a subscription trigger (Segment's FQL), as delivery decides.
/// - `POST /sluice/mappings/preview`: what a field mapping (Segment's mapping kit) makes of an event.
///
/// A read-only token may call them all (``AuthMiddleware/readOnlyPosts``). The trigger and mapping are read by the same code as subscriptions and
/// delivery, so the answer is what delivery does; an invalid one is a 422 naming the place, as a subscription
/// update would be.
struct ToolsController {
    /// The destinations Sluice delivers to, by name: fixed for the process, so listed once.
    let integrations: [(id: String, name: String)]

    init(integrations: IntegrationRegistry, catalog: Catalog) {
        self.integrations = integrations.metadataIDs.map { id in (id: id, name: catalog.destination(id: id)?.name ?? id) }
            .sorted { ($0.name, $0.id) < ($1.name, $1.id) }
    }

    func register(on router: Router<SluiceRequestContext>) {
        router.get("/sluice/token") { _, context in try token(context) }
        router.get("/sluice/integrations") { _, context in integrationList(context) }
        router.post("/sluice/triggers/check") { request, context in try await checkTrigger(request, context) }
        router.post("/sluice/mappings/preview") { request, context in try await previewMapping(request, context) }
    }

    func token(_ context: SluiceRequestContext) throws -> Response {
        guard let token = context.token else { throw APIError.unauthorized }
        return Responses.data(context) { w in
            w.key("token")
            w.raw("{")
            w.key("id")
            w.string(token.id)
            w.raw(",")
            w.key("readOnly")
            w.raw(token.readOnly ? "true" : "false")
            w.raw("}")
        }
    }

    /// Every catalog id with an integration, by name: `{"integrations": [{"metadataId", "name"}]}`. The list is as
    /// short as the integrations Sluice ships, so it is not paginated.
    func integrationList(_ context: SluiceRequestContext) -> Response {
        Responses.data(context) { w in
            w.key("integrations")
            w.raw("[")
            for (index, entry) in integrations.enumerated() {
                if index > 0 { w.raw(",") }
                w.raw("{")
                w.key("metadataId")
                w.string(entry.id)
                w.raw(",")
                w.key("name")
                w.string(entry.name)
                w.raw("}")
            }
            w.raw("]")
        }
    }

    func checkTrigger(_ request: Request, _ context: SluiceRequestContext) async throws -> Response {
        let fields = Fields(object: try await RequestBody.object(request))
        let text = try fields.requiredString("trigger")
        let event = try fields.requiredObject("event")
        let trigger: Trigger
        do {
            trigger = try Trigger(parsing: text)
        } catch {
            throw error.validationError(field: "trigger")
        }
        let matches = trigger.matches(.object(event))
        return Responses.data(context) { w in
            w.key("matches")
            w.raw(matches ? "true" : "false")
            if let note = trigger.segmentReadingNote {
                w.raw(",")
                w.key("note")
                w.string(note)
            }
        }
    }

    func previewMapping(_ request: Request, _ context: SluiceRequestContext) async throws -> Response {
        let body = try await RequestBody.object(request)
        let fields = Fields(object: body)
        guard let mapping = body["mapping"], !mapping.isNull else { throw APIError.validation("mapping is required", field: "mapping") }
        let event = try fields.requiredObject("event")
        try Mapping.validate(mapping, root: "mapping")
        let resolved = Mapping.resolve(mapping, in: .object(event))
        return Responses.data(context, capacity: 1024) { w in
            w.key("resolved")
            w.value(resolved ?? .null)
        }
    }
}
