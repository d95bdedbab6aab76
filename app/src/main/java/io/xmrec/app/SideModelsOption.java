package io.xmrec.app;

import io.xmrec.model.updater.UpdaterSettings;
import picocli.CommandLine.Option;

/**
 * The models an updater trains beside the ones it serves from a trunk: each market's own model, retrained as its data
 * grows, and the single-market references of the dashboard's comparison line. Shared by {@code xmrec updater} and
 * {@code xmrec demo}: on data a hundred times XMarket's, each retrain or reference is a training over the whole
 * market on the same two cores as the trunk, and a run that only shows the system at that size turns them off.
 */
final class SideModelsOption {

    private static final UpdaterSettings D = UpdaterSettings.defaults();

    @Option(names = "--refresh-growth", description = "The medium path retrains a market's own model (single-market NMF, "
            + "the offline recipe) once its training interactions of evaluable users grew by this share since its own "
            + "model was last trained, and serves it until the next trunk if it validates above the model served "
            + "(0: never; default: ${DEFAULT-VALUE}).")
    double refreshGrowth = D.refreshGrowth();

    @Option(names = "--no-reference", description = "Do not train the single-market NMF reference models (the dashboard's comparison line).")
    boolean noReference;

    /** A clear error for a bad value, callable before any work. */
    void check() {
        if (!(refreshGrowth >= 0)) {
            throw new IllegalArgumentException("--refresh-growth must not be negative: " + refreshGrowth);
        }
    }

    /** {@code s} with these options, {@link #check checked}. */
    UpdaterSettings apply(UpdaterSettings s) {
        check();
        return s.withRefresh(refreshGrowth).withWorkers(s.workers(), !noReference);
    }
}
