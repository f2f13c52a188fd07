import Testing

@testable import SluiceCore

/// Counting the events routing kept from destinations: one entry an event, shared destinations counted for each.
@Suite struct FilteredCountsTests {
    @Test func sharedDestinationsAreCountedForEachOfThemAndOnlyForConsumedEvents() {
        // Given three destinations shared by several events, one destination of its own, and a second list that
        // names one of the same destinations
        let shared = FilteredDestinations(["d1", "d2", "d3"])
        let again = FilteredDestinations(["d1"])
        func event(_ seq: Int64, _ destinations: FilteredDestinations, minute: Int64 = 10, reason: String = "no") -> FilteredEvent {
            FilteredEvent(eventSeq: seq, sourceID: "s", destinations: destinations, minute: minute, reason: reason)
        }
        let events = [
            event(1, shared), event(2, shared), event(3, shared), event(5, shared, minute: 11), event(6, again),
            FilteredEvent(eventSeq: 4, sourceID: "s", destinationID: "d1", minute: 10, reason: "DROP"),
        ]

        // When the routing consumed all but event 3
        let counts = events.counts(consumed: [1, 2, 4, 5, 6])

        // Then each destination of a list gets the list's count, counts of the same key add up, event 3 counts nowhere
        func count(_ destination: String, _ minute: Int64, _ reason: String, _ n: Int64) -> FilteredCount {
            FilteredCount(sourceID: "s", destinationID: destination, minute: minute, reason: reason, count: n)
        }
        #expect(
            counts == [
                count("d1", 10, "DROP", 1), count("d1", 10, "no", 3), count("d1", 11, "no", 1), count("d2", 10, "no", 2),
                count("d2", 11, "no", 1), count("d3", 10, "no", 2), count("d3", 11, "no", 1),
            ])
        #expect(events[0].destinationID == "d1")
        #expect(events.counts(consumed: []) == [])
        // And with no set of consumed events (routing at ingest commits them all), every event counts, event 3 too
        #expect(
            events.counts() == [
                count("d1", 10, "DROP", 1), count("d1", 10, "no", 4), count("d1", 11, "no", 1), count("d2", 10, "no", 3),
                count("d2", 11, "no", 1), count("d3", 10, "no", 3), count("d3", 11, "no", 1),
            ])
    }
}
