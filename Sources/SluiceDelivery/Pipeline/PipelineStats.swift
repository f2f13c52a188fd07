import SluiceCore
import Synchronization

/// Counters of the delivery pipeline for `GET /metrics`, kept in memory since the process started.
public final class PipelineStats: Sendable {
    /// A counter that can go up and down.
    public final class Gauge: Sendable {
        private let value = Atomic<Int>(0)
        public func add(_ delta: Int) { value.add(delta, ordering: .relaxed) }
        public var current: Int { value.load(ordering: .relaxed) }
    }

    public let inFlight = Gauge()
    private let outcomes = Mutex<[String: Int]>([:])
    private let ingested = Atomic<Int>(0)
    /// Events filtered from destinations, by destination id and reason.
    private let filtered = Mutex<[FilterKey: Int]>([:])

    private struct FilterKey: Hashable {
        var destinationID: String
        var reason: String
    }

    public init() {}

    /// Counts an event accepted by the Tracking API.
    public func recordIngested(_ count: Int) { ingested.add(count, ordering: .relaxed) }

    /// Counts an event that a destination's filters kept from it (`reason`: `DROP` or `SAMPLE`).
    public func recordFiltered(destinationID: String, reason: String) {
        filtered.withLock { $0[FilterKey(destinationID: destinationID, reason: reason), default: 0] += 1 }
    }

    /// Counts what became of an attempt.
    public func record(_ disposition: DeliveryCounters.Disposition) {
        let name: String
        switch disposition {
        case .succeeded: name = "success"
        case .retried: name = "retried"
        case .discarded: name = "discarded"
        case .expired: name = "expired"
        }
        outcomes.withLock { $0[name, default: 0] += 1 }
    }

    /// The counters in Prometheus text format, with the queue depths given.
    public func prometheusText(pendingEvents: Int, waitingJobs: Int) -> String {
        var text = ""
        text += "# HELP sluice_events_ingested_total Events accepted by the Tracking API.\n"
        text += "# TYPE sluice_events_ingested_total counter\n"
        text += "sluice_events_ingested_total \(ingested.load(ordering: .relaxed))\n"
        text += "# HELP sluice_events_pending Events committed and not yet routed.\n"
        text += "# TYPE sluice_events_pending gauge\n"
        text += "sluice_events_pending \(pendingEvents)\n"
        text += "# HELP sluice_delivery_jobs_waiting Delivery jobs waiting for an attempt (queue depth).\n"
        text += "# TYPE sluice_delivery_jobs_waiting gauge\n"
        text += "sluice_delivery_jobs_waiting \(waitingJobs)\n"
        text += "# HELP sluice_delivery_jobs_in_flight Delivery jobs being attempted now.\n"
        text += "# TYPE sluice_delivery_jobs_in_flight gauge\n"
        text += "sluice_delivery_jobs_in_flight \(inFlight.current)\n"
        text += "# HELP sluice_delivery_attempts_total Delivery attempts by what became of them.\n"
        text += "# TYPE sluice_delivery_attempts_total counter\n"
        let counts = outcomes.withLock { $0 }
        for outcome in ["success", "retried", "discarded", "expired"] {
            text += "sluice_delivery_attempts_total{outcome=\"\(outcome)\"} \(counts[outcome] ?? 0)\n"
        }
        text += "# HELP sluice_events_filtered_total Events destination filters kept from a destination, by destination and reason.\n"
        text += "# TYPE sluice_events_filtered_total counter\n"
        let filteredCounts = filtered.withLock { $0 }.sorted { ($0.key.destinationID, $0.key.reason) < ($1.key.destinationID, $1.key.reason) }
        for (key, count) in filteredCounts {
            text += "sluice_events_filtered_total{destination_id=\"\(key.destinationID)\",reason=\"\(key.reason)\"} \(count)\n"
        }
        return text
    }
}
