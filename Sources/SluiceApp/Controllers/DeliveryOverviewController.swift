import Foundation
import Hummingbird
import SluiceCore

/// Segment's Delivery Overview (beta): the six `GET /delivery-overview/<step>` operations, counted from what the
/// pipeline recorded (docs/delivery.md, "Delivery Overview").
struct DeliveryOverviewController {
    let services: AppServices

    func register(on router: Router<SluiceRequestContext>) {
        for step in DeliveryOverviewStep.allCases {
            router.get(RouterPath("/delivery-overview/\(step.rawValue)")) { request, context in try await overview(step, request, context) }
        }
    }

    /// One step's total and datasets for a source (and, for the destination steps, one of its destinations).
    func overview(_ step: DeliveryOverviewStep, _ request: Request, _ context: SluiceRequestContext) async throws -> Response {
        let query = Query(request.uri.query)
        let overview = try DeliveryOverviewQuery(
            step: step, sourceID: query["sourceId"], destinationID: query["destinationConfigId"], startTime: query["startTime"],
            endTime: query["endTime"], granularity: query["granularity"], groupBy: query.list("groupBy"), filter: try query.object("filter"),
            now: services.minting.now())
        let page = query.hasPagination ? try query.pagination() : PageRequest(count: PageRequest.maxCount)
        guard try await services.store.source(id: overview.sourceID) != nil else {
            throw APIError(.notFound, type: "NotFound", message: "No source with id \(overview.sourceID)", field: "sourceId")
        }
        if let destinationID = overview.destinationID {
            guard let destination = try await services.store.destination(id: destinationID) else {
                throw APIError(.notFound, type: "NotFound", message: "No destination with id \(destinationID)", field: "destinationConfigId")
            }
            guard destination.sourceID == overview.sourceID else {
                throw APIError(
                    .notFound, type: "NotFound", message: "Destination \(destinationID) is not connected to source \(overview.sourceID)",
                    field: "destinationConfigId")
            }
        }
        let counts = try await services.store.overviewCounts(
            step: step, sourceID: overview.sourceID, destinationID: overview.destinationID, minutes: overview.minuteRange)
        let result = DeliveryOverviewResult.compute(overview, counts: counts)
        let datasets = Page(
            items: Array(result.datasets.dropFirst(page.offset).prefix(page.count)), totalEntries: result.datasets.count, request: page)
        return Responses.data(context, capacity: 256 + 64 * overview.bucketCount * Swift.max(1, datasets.items.count)) { w in
            WireEncoder.deliveryOverview(total: result.total, datasets: datasets, retries: step == .successfulDelivery, into: &w)
        }
    }
}
