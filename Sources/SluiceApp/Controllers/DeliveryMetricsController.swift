import Foundation
import Hummingbird
import SluiceCore
import SluiceDelivery

/// `GET /destinations/{destinationId}/delivery-metrics` (beta) and the operators' `GET /metrics`.
struct DeliveryMetricsController {
    let services: AppServices
    let stats: PipelineStats

    func register(on router: Router<SluiceRequestContext>) {
        router.get("/destinations/:destinationId/delivery-metrics") { request, context in try await summary(request, context) }
        router.get("/metrics") { _, _ in
            let depth = try await services.store.queueDepth()
            let failing = try await services.store.failingDestinationCount()
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(
                    byteBuffer: ByteBuffer(
                        string: stats.prometheusText(pendingEvents: depth.events, waitingJobs: depth.jobs, failingDestinations: failing))))
        }
    }

    /// The delivery metrics summary of a destination for one of its sources, counted from real outcomes.
    func summary(_ request: Request, _ context: SluiceRequestContext) async throws -> Response {
        let id = try Identifier.pathID(context.parameters.get("destinationId"), resource: "destination")
        let query = Query(request.uri.query)
        guard let destination = try await services.store.destination(id: id) else {
            throw APIError.notFound("No destination with id \(id)")
        }
        let metricsQuery = try MetricsQuery(
            sourceID: query["sourceId"], granularity: query["granularity"], startTime: query["startTime"], endTime: query["endTime"],
            now: services.minting.now())
        guard metricsQuery.sourceID == destination.sourceID else {
            throw APIError(
                .notFound, type: "NotFound", message: "Destination \(id) is not connected to source \(metricsQuery.sourceID)", field: "sourceId")
        }
        let counters = try await services.store.deliveryCounters(
            sourceID: destination.sourceID, destinationID: destination.id, minutes: metricsQuery.minuteRange)
        return Responses.data(context, capacity: 1024) { w in
            w.key("deliveryMetricsSummary")
            WireEncoder.deliveryMetricsSummary(
                sourceID: destination.sourceID, destinationMetadataID: destination.metadataID, counters: counters, into: &w)
        }
    }
}
