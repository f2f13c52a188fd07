import SluiceCore
import Testing

@testable import SluiceDelivery

@Suite struct PipelineStatsTests {
    /// A metric family of Prometheus' text format: its HELP and TYPE lines, and its samples by series (name and labels).
    struct Family: Equatable {
        var help: String
        var type: String
        var samples: [String: Double] = [:]
    }

    /// Reads Prometheus text into families by name, failing if a family is split, repeated, or a sample comes before
    /// its HELP and TYPE lines.
    static func families(_ text: String) throws -> [String: Family] {
        var families: [String: Family] = [:]
        var current: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) where !line.isEmpty {
            if line.hasPrefix("# HELP ") {
                let rest = line.dropFirst("# HELP ".count)
                let name = String(try #require(rest.split(separator: " ", maxSplits: 1).first))
                #expect(families[name] == nil, "\(name) written twice")
                families[name] = Family(help: String(rest.dropFirst(name.count + 1)), type: "")
                current = name
            } else if line.hasPrefix("# TYPE ") {
                let parts = line.split(separator: " ")
                #expect(parts.count == 4 && String(parts[2]) == current, "\(line) is not after its HELP line")
                families[String(parts[2])]?.type = String(parts[3])
            } else {
                let series = String(try #require(line.split(separator: " ").first))
                let value = try #require(Double(String(line.dropFirst(series.count + 1))), "\(line)")
                let name = String(try #require(series.split(separator: "{").first))
                #expect(name == current, "\(line) is not in its family")
                #expect(families[name]?.type.isEmpty == false, "\(line) comes before its TYPE line")
                families[name]?.samples[series] = value
            }
        }
        return families
    }

    /// Records what `/metrics` of an earlier build was checked against, below.
    static func recordSome(_ stats: PipelineStats) {
        stats.recordIngested(3)
        stats.recordIngested(2)
        stats.record(.succeeded)
        stats.record(.succeeded)
        stats.record(.retried)
        stats.record(.discarded)
        stats.addInFlight(4)
        stats.addInFlight(-1)
        stats.recordFiltered(destinationID: "d1", reason: "DROP")
        stats.recordFiltered(destinationID: "d1", reason: "DROP")
        stats.recordFiltered(destinationID: "d2", reason: "SAMPLE")
        stats.recordFiltered(destinationID: "d1", reason: "SAMPLE")
        stats.record(DeliveryHealthChange.Kind.markedFailing)
        stats.record(DeliveryHealthChange.Kind.markedFailing)
        stats.record(DeliveryHealthChange.Kind.recovered)
        stats.recordBackpressure()
        stats.recordBackpressure()
    }

    /// `/metrics` for `recordSome`, as Sluice wrote it by hand before it used swift-prometheus.
    static let handWritten = """
        # HELP sluice_events_ingested_total Events accepted by the Tracking API.
        # TYPE sluice_events_ingested_total counter
        sluice_events_ingested_total 5
        # HELP sluice_events_pending Events committed and not yet routed.
        # TYPE sluice_events_pending gauge
        sluice_events_pending 7
        # HELP sluice_delivery_jobs_waiting Delivery jobs waiting for an attempt (queue depth).
        # TYPE sluice_delivery_jobs_waiting gauge
        sluice_delivery_jobs_waiting 11
        # HELP sluice_delivery_jobs_in_flight Delivery jobs being attempted now.
        # TYPE sluice_delivery_jobs_in_flight gauge
        sluice_delivery_jobs_in_flight 3
        # HELP sluice_delivery_attempts_total Delivery attempts by what became of them.
        # TYPE sluice_delivery_attempts_total counter
        sluice_delivery_attempts_total{outcome="success"} 2
        sluice_delivery_attempts_total{outcome="retried"} 1
        sluice_delivery_attempts_total{outcome="discarded"} 1
        sluice_delivery_attempts_total{outcome="expired"} 0
        # HELP sluice_events_filtered_total Events destination filters kept from a destination, by destination and reason.
        # TYPE sluice_events_filtered_total counter
        sluice_events_filtered_total{destination_id="d1",reason="DROP"} 2
        sluice_events_filtered_total{destination_id="d1",reason="SAMPLE"} 1
        sluice_events_filtered_total{destination_id="d2",reason="SAMPLE"} 1
        # HELP sluice_destinations_failing Destinations marked failing by the circuit breaker (every process).
        # TYPE sluice_destinations_failing gauge
        sluice_destinations_failing 2
        # HELP sluice_destination_health_changes_total Destinations this process marked failing, and that recovered.
        # TYPE sluice_destination_health_changes_total counter
        sluice_destination_health_changes_total{change="failing"} 2
        sluice_destination_health_changes_total{change="recovered"} 1
        # HELP sluice_ingest_backpressure_total Tracking API requests refused with 503 while the routing backlog was at --max-routing-backlog.
        # TYPE sluice_ingest_backpressure_total counter
        sluice_ingest_backpressure_total 2

        """

    @Test func everyMetricNameLabelHelpAndTypeIsAsBefore() throws {
        // Given the counters of a pipeline that ingested, delivered and filtered
        let stats = PipelineStats()
        Self.recordSome(stats)
        // When /metrics is written with the queue depths read as it answers
        let text = stats.prometheusText(pendingEvents: 7, waitingJobs: 11, failingDestinations: 2)
        // Then every family, HELP text, type, series and value is the one written by hand before (in whatever order)
        let written = try Self.families(text)
        let before = try Self.families(Self.handWritten)
        #expect(before.count == 9)
        #expect(written == before, "\(text)")
        // And the gauges read at scrape time are the latest given
        let later = try Self.families(stats.prometheusText(pendingEvents: 0, waitingJobs: 1))
        #expect(later["sluice_events_pending"]?.samples == ["sluice_events_pending": 0])
        #expect(later["sluice_delivery_jobs_waiting"]?.samples == ["sluice_delivery_jobs_waiting": 1])
    }

    @Test func eachPipelineCountsForItselfAndFilteredEventsAppearOnceCounted() throws {
        // Given two pipelines in one process, one of which counted
        let counted = PipelineStats()
        Self.recordSome(counted)
        let fresh = PipelineStats()
        // Then the other's counters are all zero, every outcome written, and no filtered family until one is filtered
        let families = try Self.families(fresh.prometheusText(pendingEvents: 0, waitingJobs: 0))
        #expect(families["sluice_events_ingested_total"]?.samples == ["sluice_events_ingested_total": 0])
        #expect(families["sluice_delivery_jobs_in_flight"]?.samples == ["sluice_delivery_jobs_in_flight": 0])
        #expect(
            families["sluice_delivery_attempts_total"]?.samples == [
                #"sluice_delivery_attempts_total{outcome="success"}"#: 0, #"sluice_delivery_attempts_total{outcome="retried"}"#: 0,
                #"sluice_delivery_attempts_total{outcome="discarded"}"#: 0, #"sluice_delivery_attempts_total{outcome="expired"}"#: 0,
            ])
        #expect(families["sluice_events_filtered_total"] == nil)
        fresh.recordFiltered(destinationID: "d\"3", reason: "DROP")
        let filtered = try Self.families(fresh.prometheusText(pendingEvents: 0, waitingJobs: 0))["sluice_events_filtered_total"]
        // And a label value is escaped as Prometheus' text format asks
        #expect(filtered?.samples == [#"sluice_events_filtered_total{destination_id="d\"3",reason="DROP"}"#: 1])
        #expect(filtered?.help == "Events destination filters kept from a destination, by destination and reason.")
    }
}
