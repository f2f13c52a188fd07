import ArgumentParser
import SluiceApp
@main struct Sluice: AsyncParsableCommand { func run() async throws {} }
