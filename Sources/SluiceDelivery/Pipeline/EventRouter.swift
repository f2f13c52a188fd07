import Foundation
import Logging
import ServiceLifecycle
import SluiceCore
import Synchronization

/// Turns committed events into delivery jobs: each event goes to every enabled destination of
/// its (enabled) source that Sluice has an integration for, passes that destination's enabled filters
/// (docs/filters.md: they may drop it, sample it out, or remove properties), and goes to every enabled
/// subscription whose trigger matches what the filters left.
///
/// What it keeps from destinations is counted for the Delivery Overview (``FilteredEvent``): every event of a
/// disabled source (``DiscardReason/sourceDisabled``, no destination), and per enabled destination the filters'
/// drops and an event no enabled subscription's trigger matches (``DiscardReason/noMatchingSubscription``). Only
/// destinations Sluice has an integration for are counted. A disabled destination's events are not counted: finding
/// them would cost routing a read of every destination of the source (docs/delivery.md).
///
/// Routing a batch inserts its jobs and deletes its events in one transaction, so after a crash
/// routing carries on where it stopped and no event is routed twice.
///
/// Events are routed as they are accepted when that gives what routing them after their commit would
/// (``routeAtIngest(_:)``, which ``EventWriter`` asks): the store keeps a routing version (SQLite), and every event
/// committed before them has been routed. They are then committed as jobs, never as events that wait.
public final class EventRouter: Service {
    let store: any Store
    let integrations: IntegrationRegistry
    let incoming: PipelineSignal
    let routed: PipelineSignal
    let logger: Logger
    let batchSize: Int
    let stats: PipelineStats?
    let idleWait: Duration
    let retryWait: Duration

    /// What routing at ingest needs to know, shared with the writer's commits.
    private struct Shared {
        /// Batches of events committed unrouted (``willCommitUnrouted()``), counted before each is written.
        var unroutedCommits = 0
        /// `unroutedCommits` as it was when the router last found no event waiting; -1 until it first does.
        var caughtUpTo = -1
        /// Routes by source, worked out under `version`.
        var version: Int64?
        var routes: [String: Routes] = [:]
    }

    private let shared = Mutex(Shared())

    /// - Parameters:
    ///   - incoming: notified when events are committed.
    ///   - routed: notified when jobs are created, to wake the workers.
    ///   - idleWait: how long it waits for `incoming`, when nothing is pending, before it looks again.
    ///   - retryWait: how long it waits after a failed store call before it tries again (less when shutdown begins).
    public init(
        store: any Store, integrations: IntegrationRegistry, incoming: PipelineSignal, routed: PipelineSignal, logger: Logger,
        batchSize: Int = 2000, stats: PipelineStats? = nil, idleWait: Duration = .milliseconds(500), retryWait: Duration = .seconds(1)
    ) {
        self.stats = stats
        self.store = store
        self.integrations = integrations
        self.incoming = incoming
        self.routed = routed
        self.logger = logger
        self.batchSize = batchSize
        self.idleWait = idleWait
        self.retryWait = retryWait
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                if try await routeOnce() == 0 { await incoming.wait(timeout: idleWait) }
            } catch {
                logger.error("routing failed; retrying", metadata: ["error": "\(error)", "in": "\(retryWait)"])
                await waitBeforeRetrying(retryWait)
            }
        }
    }

    /// A destination, its enabled filters, and the subscriptions of it that take events, with their parsed triggers.
    struct Target: Sendable {
        /// The destination as the events kept from it record it (its id alone), made once for every event.
        let keptFrom: FilteredDestinations
        var destinationID: String { keptFrom.ids[0] }
        let filters: [DestinationFilterRule]
        /// Whether a filter may change the event (property actions), so that a kept event is encoded again.
        let rewrites: Bool
        let subscriptions: [RoutedSubscription]
    }

    /// A subscription that takes events: its trigger, and the trigger's gate (``TriggerGate``) with the index of the
    /// gate's member in ``Routes/gateMembers``, when it has one.
    struct RoutedSubscription: Sendable {
        let id: String
        let trigger: Trigger
        let gate: (member: Int, gate: TriggerGate)?
    }

    /// Routes one batch of pending events; returns how many events it consumed.
    @discardableResult
    public func routeOnce() async throws -> Int {
        let mark = shared.withLock { $0.unroutedCommits }
        let pending = try await store.pendingEvents(limit: batchSize)
        guard !pending.isEmpty else {
            // Nothing waits, unless a batch was committed unrouted since the read began.
            shared.withLock { if $0.unroutedCommits == mark { $0.caughtUpTo = mark } }
            return 0
        }
        let version = try await store.routingVersion()
        let routes = try await self.routes(for: Set(pending.map(\.event.sourceID)), version: version)
        let (jobs, filtered) = Self.plan(pending, routes: routes)
        try await store.route(consumed: pending.map(\.seq), jobs: jobs, filtered: filtered)
        didRoute(jobs: jobs, filtered: filtered)
        return pending.count
    }

    /// Routes `events` as they are accepted, for ``EventWriter`` to commit as jobs
    /// (``DeliveryQueue/appendRoutedEvents(_:routing:refused:)``); `nil` when they are to be committed unrouted, for
    /// the router to route after: the store keeps no routing version, or events committed before them still wait to
    /// be routed (routed now, they would overtake those).
    public func routeAtIngest(_ events: [IncomingEvent]) async throws -> IngestRouting? {
        guard !events.isEmpty, shared.withLock({ $0.caughtUpTo == $0.unroutedCommits }),
            let version = try await store.routingVersion()
        else { return nil }
        let routes = try await self.routes(for: Set(events.map(\.sourceID)), version: version)
        let pending = events.enumerated().map { PendingEvent(seq: Int64($0.offset), event: $0.element) }
        let (jobs, filtered) = Self.plan(pending, routes: routes)
        return IngestRouting(version: version, jobs: jobs, filtered: filtered)
    }

    /// Notes that a batch of events is about to be committed unrouted: events are not routed at ingest again until
    /// the router has found none waiting after it.
    public func willCommitUnrouted() {
        shared.withLock { $0.unroutedCommits += 1 }
    }

    /// Counts what was kept from destinations and wakes the workers, once routed events are committed.
    public func didRoute(jobs: [NewDeliveryJob], filtered: [FilteredEvent]) {
        // /metrics' sluice_events_filtered_total counts the filters' drops, as it always has (docs/delivery.md).
        for event in filtered where DestinationFilterDropReason(rawValue: event.reason) != nil {
            stats?.recordFiltered(destinationID: event.destinationID, reason: event.reason)
        }
        if !jobs.isEmpty { routed.notify() }
    }

    /// The routes of each of `sourceIDs`: those kept from an earlier batch while the store's routing version is
    /// still the one they were worked out under, else read again (every time, for a store that keeps no version).
    private func routes(for sourceIDs: Set<String>, version: Int64?) async throws -> [String: Routes] {
        var found: [String: Routes] = [:]
        for sourceID in sourceIDs {
            if let version, let kept = shared.withLock({ $0.version == version ? $0.routes[sourceID] : nil }) {
                found[sourceID] = kept
                continue
            }
            // Read after the version: a write that moves it meanwhile makes these routes unused from the next batch.
            let routes = try await self.routes(sourceID: sourceID)
            found[sourceID] = routes
            guard let version else { continue }
            shared.withLock { shared in
                if shared.version != version {
                    shared.version = version
                    shared.routes = [:]
                }
                shared.routes[sourceID] = routes
            }
        }
        return found
    }

    /// The jobs of `pending` and what is kept from destinations, by each event's source's routes.
    static func plan(_ pending: [PendingEvent], routes: [String: Routes]) -> (jobs: [NewDeliveryJob], filtered: [FilteredEvent]) {
        var jobs: [NewDeliveryJob] = []
        var filtered: [FilteredEvent] = []
        /// The targets an event matched no subscription of (its filters keeping it), one event at a time.
        var missed: [FilteredDestinations] = []
        /// An event's members that the gates of its source's triggers read, in ``Routes/gateMembers``' order.
        var gateValues: [JSONValue?] = []
        for item in pending {
            guard let sourceRoutes = routes[item.event.sourceID] else { continue }
            let minute = DeliveryCounters.epochMinute(of: item.event.receivedAt)
            func keep(from destinations: FilteredDestinations, _ reason: String) {
                filtered.append(
                    FilteredEvent(eventSeq: item.seq, sourceID: item.event.sourceID, destinations: destinations, minute: minute, reason: reason))
            }
            if sourceRoutes.sourceDisabled {
                keep(from: Self.everyDestination, DiscardReason.sourceDisabled)
                continue
            }
            // Parsing is the cost of routing, so an event is parsed only when some destination has filters or
            // subscriptions to look at it with; ingest stored only well-formed JSON.
            guard !sourceRoutes.targets.isEmpty || !sourceRoutes.idle.ids.isEmpty else { continue }
            var original = JSONValue.null
            if !sourceRoutes.targets.isEmpty {
                let parsed =
                    if let members = sourceRoutes.members { try? JSONValue.parse(item.event.body, members: members) } else {
                        try? JSONValue.parse(item.event.body)
                    }
                guard let parsed else { continue }
                original = parsed
            }
            missed.removeAll(keepingCapacity: true)
            gateValues.removeAll(keepingCapacity: true)
            for member in sourceRoutes.gateMembers { gateValues.append(original[member]) }
            for target in sourceRoutes.targets {
                var event = original
                var rewritten: IncomingEvent?
                if !target.filters.isEmpty {
                    switch DestinationFilters.apply(target.filters, to: original) {
                    case .dropped(let reason):
                        keep(from: target.keptFrom, reason.rawValue)
                        continue
                    case .kept(let kept):
                        if target.rewrites, kept != original {
                            event = kept
                            rewritten = item.event
                            rewritten?.body = JSONWriter.encode(kept)
                        }
                    }
                }
                // The gates read the event as the filters left it: only one they rewrote is read again.
                let gated = rewritten == nil ? gateValues : sourceRoutes.gateMembers.map { event[$0] }
                var matched = false
                for subscription in target.subscriptions {
                    // A trigger its gate rules out cannot match: not evaluated.
                    if let (member, gate) = subscription.gate, !gate.admits(gated[member]) { continue }
                    guard subscription.trigger.matches(event) else { continue }
                    matched = true
                    jobs.append(
                        NewDeliveryJob(
                            eventSeq: item.seq, destinationID: target.destinationID, subscriptionID: subscription.id,
                            event: rewritten ?? item.event))
                }
                if !matched { missed.append(target.keptFrom) }
            }
            // One entry an event for the destinations that took no part of it, counted for each when the routing
            // commits: when none took it (the common case for most events), one made once a batch for all of them.
            if missed.count == sourceRoutes.targets.count {
                keep(from: sourceRoutes.noneTake, DiscardReason.noMatchingSubscription)
            } else {
                if !sourceRoutes.idle.ids.isEmpty { keep(from: sourceRoutes.idle, DiscardReason.noMatchingSubscription) }
                for destination in missed { keep(from: destination, DiscardReason.noMatchingSubscription) }
            }
        }
        return (jobs, filtered)
    }

    /// Where a source's events go, and what keeps them from destinations.
    struct Routes: Sendable {
        /// The source is disabled: its events go nowhere.
        var sourceDisabled = false
        /// Destinations with filters or subscriptions: each event is parsed and looked at for them.
        var targets: [Target] = []
        /// Destinations with neither: every event matches no subscription, which is known without parsing it.
        /// (As the events kept from them record them: made once for every event.)
        var idle = FilteredDestinations([])
        /// The idle destinations and the targets together, as an event that no filter dropped and no subscription
        /// matched records them.
        var noneTake = FilteredDestinations([])
        /// The top-level members of an event that the targets' triggers read, when only triggers look at events
        /// (no target has filters, which read and may rewrite the whole event): an event is then parsed for these
        /// alone. `nil` when events are parsed whole.
        var members: JSONMemberNames?
        /// The members the targets' triggers' gates read (``TriggerGate/member``), each once.
        var gateMembers: [String] = []
    }

    /// What an event of a disabled source is kept from: every destination of it (an empty id).
    static let everyDestination = FilteredDestinations([""])

    private func routes(sourceID: String) async throws -> Routes {
        guard let source = try await store.source(id: sourceID) else { return Routes() }
        guard source.enabled else { return Routes(sourceDisabled: true) }
        var routes = Routes()
        var idle: [String] = []
        // Only the kinds Sluice delivers to are read: a source's other destinations cost routing nothing.
        let destinations = try await store.enabledDestinations(sourceID: sourceID, metadataIDs: integrations.metadataIDs)
        guard !destinations.isEmpty else { return routes }
        let subscriptions = try await store.subscriptions(destinationIDs: destinations.map(\.id)).filter(\.enabled)
        // A destination with no enabled subscription receives nothing, but its events are counted as matching no
        // subscription (after its filters, if it has any).
        for destination in destinations {
            let filters = destination.filters.filter(\.enabled).compactMap(Self.rule)
            let triggers: [RoutedSubscription] = subscriptions.filter { $0.destinationID == destination.id }
                .compactMap { subscription in
                    guard let trigger = try? Trigger(parsing: subscription.trigger) else { return nil }
                    guard let gate = trigger.gate else { return RoutedSubscription(id: subscription.id, trigger: trigger, gate: nil) }
                    let member = routes.gateMembers.firstIndex(of: gate.member) ?? routes.gateMembers.count
                    if member == routes.gateMembers.count { routes.gateMembers.append(gate.member) }
                    return RoutedSubscription(id: subscription.id, trigger: trigger, gate: (member, gate))
                }
            guard !filters.isEmpty || !triggers.isEmpty else {
                idle.append(destination.id)
                continue
            }
            routes.targets.append(
                Target(
                    keptFrom: FilteredDestinations([destination.id]), filters: filters,
                    rewrites: filters.contains { $0.actions.contains(where: \.changesProperties) }, subscriptions: triggers))
        }
        if routes.targets.allSatisfy(\.filters.isEmpty) {
            routes.members = JSONMemberNames(routes.targets.flatMap { $0.subscriptions.flatMap(\.trigger.eventMembers) })
        }
        routes.idle = FilteredDestinations(idle)
        routes.noneTake = FilteredDestinations(idle + routes.targets.map(\.destinationID))
        return routes
    }

    /// A stored filter, compiled. One that no longer parses (a stored value Sluice would refuse today) drops every
    /// event, as Segment does with invalid FQL rather than let data through that a filter was meant to stop.
    static func rule(_ filter: DestinationFilter) -> DestinationFilterRule? {
        let actions = filter.actions.enumerated().compactMap { try? DestinationFilterAction(json: $1, index: $0) }
        guard let query = try? FilterQuery(parsing: filter.condition) else {
            return (try? FilterQuery(parsing: "all")).map { DestinationFilterRule(query: $0, actions: [.drop]) }
        }
        return DestinationFilterRule(query: query, actions: actions)
    }
}

extension DestinationFilterAction {
    /// Whether the action removes properties (so the event delivered differs from the one ingested).
    var changesProperties: Bool {
        switch self {
        case .dropProperties, .allowProperties: true
        case .drop, .sample: false
        }
    }
}
