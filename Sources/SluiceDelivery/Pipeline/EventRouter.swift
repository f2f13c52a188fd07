import Foundation
import Logging
import ServiceLifecycle
import SluiceCore

/// Turns committed events into delivery jobs: each event goes to every enabled destination of
/// its (enabled) source that Sluice has an integration for, and there to every enabled
/// subscription whose trigger matches it.
///
/// Routing a batch inserts its jobs and deletes its events in one transaction, so after a crash
/// routing carries on where it stopped and no event is routed twice.
public final class EventRouter: Service {
    let store: any Store
    let integrations: IntegrationRegistry
    let incoming: PipelineSignal
    let routed: PipelineSignal
    let logger: Logger
    let batchSize: Int

    /// - Parameters:
    ///   - incoming: notified when events are committed.
    ///   - routed: notified when jobs are created, to wake the workers.
    public init(
        store: any Store, integrations: IntegrationRegistry, incoming: PipelineSignal, routed: PipelineSignal, logger: Logger,
        batchSize: Int = 2000
    ) {
        self.store = store
        self.integrations = integrations
        self.incoming = incoming
        self.routed = routed
        self.logger = logger
        self.batchSize = batchSize
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            do {
                if try await routeOnce() == 0 { await incoming.wait(timeout: .milliseconds(500)) }
            } catch {
                logger.error("routing failed; retrying in a second", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// A destination and the subscriptions of it that take events, with their parsed triggers.
    struct Target {
        let destinationID: String
        let subscriptions: [(id: String, trigger: Trigger)]
    }

    /// Routes one batch of pending events; returns how many events it consumed.
    @discardableResult
    public func routeOnce() async throws -> Int {
        let pending = try await store.pendingEvents(limit: batchSize)
        guard !pending.isEmpty else { return 0 }
        var targets: [String: [Target]] = [:]
        for sourceID in Set(pending.map(\.event.sourceID)) {
            targets[sourceID] = try await self.targets(sourceID: sourceID)
        }
        var jobs: [NewDeliveryJob] = []
        for item in pending {
            guard let sourceTargets = targets[item.event.sourceID], !sourceTargets.isEmpty,
                let event = try? JSONValue.parse(item.event.body)
            else { continue }
            for target in sourceTargets {
                for subscription in target.subscriptions where subscription.trigger.matches(event) {
                    jobs.append(NewDeliveryJob(eventSeq: item.seq, destinationID: target.destinationID, subscriptionID: subscription.id, event: item.event))
                }
            }
        }
        try await store.route(consumed: pending.map(\.seq), jobs: jobs)
        if !jobs.isEmpty { routed.notify() }
        return pending.count
    }

    private func targets(sourceID: String) async throws -> [Target] {
        guard let source = try await store.source(id: sourceID), source.enabled else { return [] }
        let destinations = try await store.enabledDestinations(sourceID: sourceID).filter { integrations.supports($0.metadataID) }
        guard !destinations.isEmpty else { return [] }
        let subscriptions = try await store.subscriptions(destinationIDs: destinations.map(\.id)).filter(\.enabled)
        return destinations.map { destination in
            Target(
                destinationID: destination.id,
                subscriptions: subscriptions.filter { $0.destinationID == destination.id }.compactMap { subscription in
                    guard let trigger = try? Trigger(parsing: subscription.trigger) else { return nil }
                    return (subscription.id, trigger)
                })
        }
    }
}
