import CoreMetrics
import Prometheus
import SluiceCore
import Synchronization

/// Counters of the delivery pipeline for `GET /metrics`, kept in memory since the process started.
///
/// Recorded through swift-metrics and written out by swift-prometheus. Each instance has its own
/// `PrometheusCollectorRegistry`, and never the global `MetricsSystem`: a test process runs many apps at once.
/// The handlers are made by the registry, not by `PrometheusMetricsFactory`: only the registry takes the `# HELP`
/// text, and it stops the process when one name is made with two texts. The swift-metrics types are given a factory
/// over the same registry all the same, so that nothing of theirs reaches the global one.
public final class PipelineStats: Sendable {
    /// What became of delivery attempts, as the `outcome` label of `sluice_delivery_attempts_total`.
    private static let outcomeLabels = ["success", "retried", "discarded", "expired"]

    private let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    private let ingested: CoreMetrics.Counter
    private let backpressure: CoreMetrics.Counter
    private let pending: Meter
    private let waiting: Meter
    private let inFlight: Meter
    /// One counter per outcome, in the order of `outcomeLabels`, made up front so that `record` only adds.
    private let outcomes: [CoreMetrics.Counter]
    private let failing: Meter
    private let markedFailing: CoreMetrics.Counter
    private let recovered: CoreMetrics.Counter
    /// Events filtered from destinations, by destination id and reason; made as pairs are first seen.
    private let filtered = Mutex<[FilterKey: CoreMetrics.Counter]>([:])

    private struct FilterKey: Hashable {
        var destinationID: String
        var reason: String
    }

    /// A metric's name and `# HELP` text; counters' names end in the unit `total`.
    private static func name(_ name: String, unit: String = "", help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: unit, helpText: help)
    }

    private static var filteredName: MetricNameDescriptor {
        name("sluice_events_filtered", unit: "total", help: "Events destination filters kept from a destination, by destination and reason.")
    }

    /// A counter of the registry, with the labels given.
    private static func counter(
        _ name: MetricNameDescriptor, _ labels: [(String, String)] = [], registry: PrometheusCollectorRegistry, factory: PrometheusMetricsFactory
    ) -> CoreMetrics.Counter {
        CoreMetrics.Counter(label: name.name, dimensions: labels, handler: registry.makeCounter(descriptor: name, labels: labels), factory: factory)
    }

    public init() {
        let registry = PrometheusCollectorRegistry()
        let factory = PrometheusMetricsFactory(registry: registry)
        self.registry = registry
        self.factory = factory
        func counter(_ name: MetricNameDescriptor, _ labels: [(String, String)] = []) -> CoreMetrics.Counter {
            Self.counter(name, labels, registry: registry, factory: factory)
        }
        func meter(_ name: MetricNameDescriptor) -> Meter {
            Meter(label: name.name, dimensions: [], handler: registry.makeGauge(descriptor: name), factory: factory)
        }
        ingested = counter(Self.name("sluice_events_ingested", unit: "total", help: "Events accepted by the Tracking API."))
        backpressure = counter(
            Self.name(
                "sluice_ingest_backpressure", unit: "total",
                help: "Tracking API requests refused with 503 while the routing backlog was at --max-routing-backlog."))
        pending = meter(Self.name("sluice_events_pending", help: "Events committed and not yet routed."))
        waiting = meter(Self.name("sluice_delivery_jobs_waiting", help: "Delivery jobs waiting for an attempt (queue depth)."))
        inFlight = meter(Self.name("sluice_delivery_jobs_in_flight", help: "Delivery jobs being attempted now."))
        let attempts = Self.name("sluice_delivery_attempts", unit: "total", help: "Delivery attempts by what became of them.")
        outcomes = Self.outcomeLabels.map { counter(attempts, [("outcome", $0)]) }
        failing = meter(Self.name("sluice_destinations_failing", help: "Destinations marked failing by the circuit breaker (every process)."))
        let changes = Self.name(
            "sluice_destination_health_changes", unit: "total", help: "Destinations this process marked failing, and that recovered.")
        markedFailing = counter(changes, [("change", "failing")])
        recovered = counter(changes, [("change", "recovered")])
    }

    /// Counts a destination marked failing or recovered.
    public func record(_ change: DeliveryHealthChange.Kind) {
        switch change {
        case .markedFailing: markedFailing.increment()
        case .recovered: recovered.increment()
        }
    }

    /// Counts delivery jobs being attempted now: a worker adds its batch as it starts and takes it back when done.
    public func addInFlight(_ delta: Int) {
        if delta >= 0 { inFlight.increment(by: Double(delta)) } else { inFlight.decrement(by: Double(-delta)) }
    }

    /// Counts a Tracking API request refused because routing was behind.
    public func recordBackpressure() { backpressure.increment() }

    /// Counts an event accepted by the Tracking API.
    public func recordIngested(_ count: Int) { ingested.increment(by: count) }

    /// Counts an event that a destination's filters kept from it (`reason`: `DROP` or `SAMPLE`).
    public func recordFiltered(destinationID: String, reason: String) {
        let key = FilterKey(destinationID: destinationID, reason: reason)
        let counter = filtered.withLock { counters in
            if let counter = counters[key] { return counter }
            let counter = Self.counter(
                Self.filteredName, [("destination_id", destinationID), ("reason", reason)], registry: registry, factory: factory)
            counters[key] = counter
            return counter
        }
        counter.increment()
    }

    /// Counts what became of an attempt.
    public func record(_ disposition: DeliveryCounters.Disposition) {
        let index: Int
        switch disposition {
        case .succeeded: index = 0
        case .retried: index = 1
        case .discarded: index = 2
        case .expired: index = 3
        }
        outcomes[index].increment()
    }

    /// The counters in Prometheus text format, with the queue depths and failing destinations given (read by the caller
    /// as it answers).
    ///
    /// swift-prometheus writes each metric's `# HELP`, `# TYPE` and samples together, but the metrics in no set order,
    /// gauges as floating point (`0.0`), and `sluice_events_filtered_total` only once some event was filtered.
    public func prometheusText(pendingEvents: Int, waitingJobs: Int, failingDestinations: Int = 0) -> String {
        pending.set(pendingEvents)
        waiting.set(waitingJobs)
        failing.set(failingDestinations)
        return registry.emitToString()
    }
}
