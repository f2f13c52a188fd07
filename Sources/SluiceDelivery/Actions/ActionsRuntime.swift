import SluiceCore

/// One action of an Actions destination as Sluice runs it: how a prepared payload becomes the vendor's request,
/// and, for an action with a batch form, how many payloads become one request and how its answer is read.
///
/// The counterpart of an `ActionDefinition`'s `perform` and `performBatch` in segmentio/action-destinations. An
/// action builds requests and reads answers; it never sends: ``ActionsRuntime`` does, through the
/// ``DeliverySender`` (so `--endpoint-override` and tests see every request).
public struct ActionImplementation: Sendable {
    /// The action's slug in the catalog (`Subscription.actionSlug`), e.g. `logEventV2`.
    public var slug: String
    /// The requests for one event's payload, sent one after another (most actions make one; Amplitude's
    /// groupIdentifyUser makes two); throws to discard (or retry) that event.
    public var perform: @Sendable (_ payload: [String: JSONValue], _ settings: [String: JSONValue]) throws(ActionFailure) -> [HTTPRequestSpec]
    /// The batch form, when the action has one.
    public var batch: Batch?

    /// An action's batch form (`performBatch`), used when the subscription's `enable_batching` is true.
    public struct Batch: Sendable {
        /// The batch size when `batch_size` is absent or 0.
        public var defaultSize: Int
        /// The largest batch the vendor takes.
        public var maxSize: Int
        /// The request for the payloads (in order), with the payloads it leaves out; throws to discard (or retry)
        /// them all.
        public var plan: @Sendable (_ payloads: [[String: JSONValue]], _ settings: [String: JSONValue]) throws(ActionFailure) -> Request
        /// Each item's outcome from the vendor's answer, when the answer says more than its status (a 2xx with
        /// per-item errors, a 400 naming the items it refused); `nil` to take the status for every item.
        public var results: (@Sendable (_ response: HTTPResponseSpec, _ count: Int) -> [DeliveryOutcome]?)?

        /// What a batch sends: one request whose items (the vendor's batch array) each come from one payload, and
        /// the payloads left out with their outcomes. A payload may make several items (Braze's trackPurchase
        /// makes one per product): it succeeds when all of them do, else takes the first failure among them.
        public struct Request: Sendable {
            /// The request, `nil` when every payload was left out.
            public var request: HTTPRequestSpec?
            /// For each item of the request, in order, the index of the payload it came from.
            public var items: [Int]
            /// The payloads left out of the request, by index, with their outcomes.
            public var leftOut: [Int: DeliveryOutcome]

            /// Creates a batch request.
            public init(request: HTTPRequestSpec?, items: [Int], leftOut: [Int: DeliveryOutcome] = [:]) {
                self.request = request
                self.items = items
                self.leftOut = leftOut
            }
        }

        /// Creates a batch form whose request has an item per payload and leaves none out.
        public init(
            defaultSize: Int, maxSize: Int,
            request:
                @escaping @Sendable (_ payloads: [[String: JSONValue]], _ settings: [String: JSONValue]) throws(ActionFailure) -> HTTPRequestSpec,
            results: (@Sendable (_ response: HTTPResponseSpec, _ count: Int) -> [DeliveryOutcome]?)? = nil
        ) {
            self.init(
                defaultSize: defaultSize, maxSize: maxSize,
                plan: { payloads, settings throws(ActionFailure) in
                    Request(request: try request(payloads, settings), items: Array(payloads.indices))
                },
                results: results)
        }

        /// Creates a batch form that plans its request.
        public init(
            defaultSize: Int, maxSize: Int,
            plan: @escaping @Sendable (_ payloads: [[String: JSONValue]], _ settings: [String: JSONValue]) throws(ActionFailure) -> Request,
            results: (@Sendable (_ response: HTTPResponseSpec, _ count: Int) -> [DeliveryOutcome]?)? = nil
        ) {
            self.defaultSize = defaultSize
            self.maxSize = maxSize
            self.plan = plan
            self.results = results
        }
    }

    /// Creates an action.
    public init(
        slug: String,
        perform: @escaping @Sendable (_ payload: [String: JSONValue], _ settings: [String: JSONValue]) throws(ActionFailure) -> [HTTPRequestSpec],
        batch: Batch? = nil
    ) {
        self.slug = slug
        self.perform = perform
        self.batch = batch
    }
}

/// Segment's Actions runtime for one destination: what happens to an event between a matching subscription and
/// the vendor, the same for every Actions integration.
///
/// For each event:
/// 1. The subscription's settings are resolved against the event; the stored settings already hold the catalog
///    defaults of fields the subscription did not set.
/// 2. The payload is prepared and checked against the action's catalog fields (``ActionPayload``); one that does
///    not fit is discarded with the reason.
///
/// Steps 1 and 2 are compiled once per delivery, for all its events (``ActionPayload/Preparation``).
/// 3. The action builds its request (or, with `enable_batching` on an action with a batch form, one request for
///    up to `batch_size` payloads) and the runtime sends it, at most ``maxConcurrentRequests`` at once.
/// 4. The answer is classified as Segment's runtime does (``DeliveryOutcome/classify(status:retryAfter:)``: 408,
///    429 and 5xx retried, honouring `Retry-After`; other 4xx discarded); a batch form may read per-event results
///    from its answer.
///
/// An action the integration does not implement discards its events with `unsupported action <slug>`.
///
/// An integration file declares its actions and conforms to ``ActionsIntegration``, which delivers through this.
public struct ActionsRuntime: Sendable {
    /// The actions, by slug.
    public let actions: [String: ActionImplementation]
    /// How many requests of one delivery are in flight at once.
    public static let maxConcurrentRequests = 32

    /// Creates a runtime.
    /// - Parameters:
    ///   - actions: The actions Sluice implements for the destination.
    ///   - metadata: The destination's catalog entry, for its actions' fields; `nil` checks no fields.
    public init(actions: [ActionImplementation], metadata: DestinationMetadata?) {
        self.actions = Dictionary(actions.map { ($0.slug, $0) }, uniquingKeysWith: { _, later in later })
        checks = Dictionary(
            (metadata?.actions ?? []).map { ($0.slug, $0.fields.map(ActionPayload.Check.init)) }, uniquingKeysWith: { first, _ in first })
    }

    /// The fields as ``ActionPayload`` checks them, worked out once.
    let checks: [String: [ActionPayload.Check]]

    /// The slugs of the actions implemented, sorted.
    public var actionSlugs: [String] { actions.keys.sorted() }

    /// 1, or with `enable_batching` on an action with a batch form, `batch_size` (its default when absent or 0,
    /// at most its maximum).
    public func batchSize(for target: DeliveryTarget) -> Int {
        guard let batch = actions[target.actionSlug]?.batch, target.subscriptionSettings["enable_batching"]?.boolValue == true else {
            return 1
        }
        guard let size = target.subscriptionSettings["batch_size"]?.numberValue, size.isFinite, size >= 1 else { return batch.defaultSize }
        return Int(min(size, Double(batch.maxSize)))
    }

    /// The requests to send (one after another) and the indexes of the events they carry, or why those events
    /// cannot be sent.
    public struct PlannedRequest: Sendable, Equatable {
        /// Indexes into the events, in order.
        public var eventIndexes: [Int]
        /// The requests, or the failure for every event of them.
        public var requests: Result<[HTTPRequestSpec], ActionFailure>
        /// For a batch, each item's event as a position in ``eventIndexes`` (-1 for an item naming a payload the
        /// batch left out, which no event takes); `nil` for a request that is not a batch.
        public var items: [Int]? = nil
    }

    /// The requests that deliver `events` to `target`, without sending anything.
    public func requests(for events: [JSONValue], to target: DeliveryTarget) -> [PlannedRequest] {
        guard let action = actions[target.actionSlug] else {
            let failure = ActionFailure(outcome: .discarded(reason: "unsupported action \(target.actionSlug)"))
            return events.indices.map { PlannedRequest(eventIndexes: [$0], requests: .failure(failure)) }
        }
        let preparation = ActionPayload.Preparation(settings: target.subscriptionSettings, checks: checks[target.actionSlug] ?? [])
        var planned: [PlannedRequest] = []
        var ready: [(index: Int, payload: [String: JSONValue])] = []
        for (index, event) in events.enumerated() {
            switch preparation.payload(for: event) {
            case .failure(let failure): planned.append(PlannedRequest(eventIndexes: [index], requests: .failure(failure)))
            case .success(let payload): ready.append((index, payload))
            }
        }
        let size = batchSize(for: target)
        if let batch = action.batch, size > 1 {
            for start in stride(from: 0, to: ready.count, by: size) {
                let chunk = Array(ready[start..<min(start + size, ready.count)])
                let plan: ActionImplementation.Batch.Request
                do throws(ActionFailure) {
                    plan = try batch.plan(chunk.map(\.payload), target.destinationSettings)
                } catch {
                    planned.append(PlannedRequest(eventIndexes: chunk.map(\.index), requests: .failure(error)))
                    continue
                }
                for (position, outcome) in plan.leftOut.sorted(by: { $0.key < $1.key }) where chunk.indices.contains(position) {
                    planned.append(PlannedRequest(eventIndexes: [chunk[position].index], requests: .failure(ActionFailure(outcome: outcome))))
                }
                guard let request = plan.request else { continue }
                // The payloads sent, in order, and each item's position among them.
                let sent = chunk.indices.filter { plan.leftOut[$0] == nil }
                let positions = Dictionary(uniqueKeysWithValues: sent.enumerated().map { ($1, $0) })
                planned.append(
                    PlannedRequest(
                        eventIndexes: sent.map { chunk[$0].index }, requests: .success([request]),
                        items: plan.items.map { positions[$0] ?? -1 }))
            }
        } else {
            for (index, payload) in ready {
                let requests = Result { () throws(ActionFailure) in try action.perform(payload, target.destinationSettings) }
                planned.append(PlannedRequest(eventIndexes: [index], requests: requests))
            }
        }
        return planned
    }

    /// Each event's outcome from its items': the first item that did not succeed, else the first item's success.
    static func eventOutcomes(_ perItem: [DeliveryOutcome], items: [Int], events: Int) -> [DeliveryOutcome] {
        var outcomes = [DeliveryOutcome?](repeating: nil, count: events)
        for (outcome, event) in zip(perItem, items) where outcomes.indices.contains(event) {
            if let current = outcomes[event], !current.isSuccess { continue }
            if outcomes[event] == nil || !outcome.isSuccess { outcomes[event] = outcome }
        }
        return outcomes.map { $0 ?? .discarded(reason: "the batch sent nothing for this event") }
    }

    /// What the subscription's settings read of an event (an action's payload is made from them alone); nothing for
    /// an action Sluice does not have.
    public func eventMembers(for target: DeliveryTarget) -> Set<String>? {
        guard actions[target.actionSlug] != nil else { return [] }
        return Mapping.CompiledSettings(target.subscriptionSettings).eventMembers
    }

    /// Plans the requests, sends them, and gives each event its outcome, in the order of `events`.
    public func deliver(_ events: [JSONValue], to target: DeliveryTarget, sender: DeliverySender) async -> [DeliveryOutcome] {
        let batched = batchSize(for: target) > 1
        let read = actions[target.actionSlug]?.batch?.results
        var outcomes = Array(repeating: DeliveryOutcome.retryable(reason: "not attempted"), count: events.count)
        var pending: [(indexes: [Int], requests: [HTTPRequestSpec], items: [Int]?)] = []
        for planned in requests(for: events, to: target) {
            switch planned.requests {
            case .success(let request): pending.append((planned.eventIndexes, request, planned.items))
            case .failure(let failure): for index in planned.eventIndexes { outcomes[index] = failure.outcome }
            }
        }
        let answered = await concurrentlyMap(pending, limit: Self.maxConcurrentRequests, on: sender.executors) { indexes, requests, items in
            // One after another; the first that does not succeed is the outcome (Segment's request client throws on
            // it, ending perform).
            var answer = DeliveryAnswer.noResponse(.discarded(reason: "the action made no request"))
            for request in requests {
                answer = await sender.answer(to: request, carrying: indexes)
                guard answer.outcome.isSuccess else { break }
            }
            if batched, let read, let items, case .response(let response) = answer, let perItem = read(response, items.count),
                perItem.count == items.count
            {
                return Self.eventOutcomes(perItem, items: items, events: indexes.count)
            }
            return Array(repeating: answer.outcome, count: indexes.count)
        }
        for (request, results) in zip(pending, answered) {
            for (index, outcome) in zip(request.indexes, results) { outcomes[index] = outcome }
        }
        return outcomes
    }
}

/// An Actions destination Sluice delivers to: its catalog id and its actions; delivery is the ``ActionsRuntime``'s.
public protocol ActionsIntegration: Integration {
    /// The runtime holding the destination's actions and their catalog fields.
    var runtime: ActionsRuntime { get }
}

extension ActionsIntegration {
    public func batchSize(for target: DeliveryTarget) -> Int {
        runtime.batchSize(for: target)
    }

    public func deliver(_ events: [JSONValue], to target: DeliveryTarget, sender: DeliverySender) async -> [DeliveryOutcome] {
        await runtime.deliver(events, to: target, sender: sender)
    }

    public func eventMembers(for target: DeliveryTarget) -> Set<String>? {
        runtime.eventMembers(for: target)
    }
}
