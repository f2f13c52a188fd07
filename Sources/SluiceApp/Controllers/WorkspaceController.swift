import Foundation
import Hummingbird
import SluiceCore

/// `GET /` (getWorkspace), `GET /audit-events` (listAuditEvents), `GET /healthz`, `GET /openapi.yaml`.
struct WorkspaceController {
    let services: AppServices

    func register(on router: Router<SluiceRequestContext>) {
        router.get("/") { _, context in getWorkspace(context) }
        router.get("/audit-events") { request, context in try await listAuditEvents(request, context) }
        router.get("/healthz") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: #"{"status":"ok"}"#)))
        }
        router.get("/openapi.yaml") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/yaml"],
                body: .init(byteBuffer: OpenAPIDocument.body))
        }
    }

    /// Returns the workspace the token belongs to.
    func getWorkspace(_ context: SluiceRequestContext) -> Response {
        Responses.data(context) { w in
            w.key("workspace")
            WireEncoder.workspace(services.workspace, into: &w)
        }
    }

    /// Lists audit events, newest first, filtered by time range, resource id and resource type.
    func listAuditEvents(_ request: Request, _ context: SluiceRequestContext) async throws -> Response {
        let query = Query(request.uri.query)
        let page = try query.pagination()
        var filter = AuditFilter()
        for (key, assign) in [("startTime", { (d: Date) in filter.startTime = d }), ("endTime", { filter.endTime = $0 })] {
            if let text = query[key] {
                guard let date = Timestamps.parse(text) else {
                    throw APIError.validation("\(key) must be an ISO 8601 date-time such as 2024-01-02T15:04:05Z", field: key)
                }
                assign(date)
            }
        }
        if let start = filter.startTime, let end = filter.endTime, start > end {
            throw APIError.validation("startTime must not be after endTime", field: "startTime")
        }
        filter.resourceID = query["resourceId"].flatMap { $0.isEmpty ? nil : $0 }
        filter.resourceType = query["resourceType"].flatMap { $0.isEmpty ? nil : $0 }
        let events = try await services.store.listAuditEvents(filter: filter, page: page)
        return Responses.list(context, key: "events", page: events, bytes: 256 * events.items.count) { e, w in WireEncoder.auditEvent(e, into: &w) }
    }
}
