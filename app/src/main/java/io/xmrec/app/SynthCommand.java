package io.xmrec.app;

import io.xmrec.core.data.MarketData;
import io.xmrec.core.data.Markets;
import io.xmrec.core.data.synth.SyntheticMarkets;
import io.xmrec.core.data.synth.SyntheticProfile;
import io.xmrec.core.data.synth.SyntheticReport;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

@Command(name = "synth", mixinStandardHelpOptions = true,
        description = "Writes synthetic markets in the XMarket format at any scale, with new ids, shaped like the real "
                + "files (user activity, long-tail popularity, items sold in several markets, ratings, dates): "
                + "--out DIR [--scale F] [--markets M,...] [--seed S]. --fit DIR prints the profile fitted to a "
                + "directory of market files; --compare REAL SYNTH prints their statistics side by side.")
final class SynthCommand implements java.util.concurrent.Callable<Integer> {

    @Option(names = "--out", paramLabel = "DIR", description = "Directory to write <market>_5core.txt files into.")
    Path out;

    @Option(names = "--scale", paramLabel = "F", description = "Users (and interactions) per market, times the "
            + "profile's (default: 1).")
    double scale = 1;

    @Option(names = "--item-scale", paramLabel = "F", description = "Catalogue size per market, times the profile's "
            + "(default: the same as --scale).")
    Double itemScale;

    @Option(names = "--markets", paramLabel = "M[,M...]", description = "Market codes to generate: a code the profile "
            + "has takes its shape, any other takes the profile's markets' shapes in turn (default: the profile's markets).")
    String markets;

    @Option(names = "--seed", description = "Seed; the same seed and options write the same files (default: 42).")
    long seed = 42;

    @Option(names = "--profile", paramLabel = "FILE", description = "A profile written by --fit (default: the one "
            + "fitted to XMarket Electronics, shipped with xmrec).")
    Path profile;

    @Option(names = "--groups", paramLabel = "K", description = "Latent item groups at scale 1, growing with the "
            + "catalogue (default: the profile's).")
    Integer groups;

    @Option(names = "--concentration", paramLabel = "A", description = "Dirichlet concentration of a user's preference "
            + "over the groups: smaller is more focused users, so more to learn beyond popularity (default: the profile's).")
    Double concentration;

    @Option(names = "--fit", paramLabel = "DIR", description = "Fit a profile to the market files in DIR and print it.")
    Path fit;

    @Option(names = "--compare", arity = "2", paramLabel = "DIR", description = "Print the statistics of two directories "
            + "of market files side by side (a Markdown table).")
    List<Path> compare;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Rounds of simulation that move the latent parameters until generated data shows the fitted statistics. */
    static final int FIT_ROUNDS = 16;

    @Override
    public Integer call() throws IOException {
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter stderr = spec.commandLine().getErr();
        if (fit != null) {
            stdout.print(SyntheticProfile.fitBySimulation(MarketFiles.load(fit, null, false, stderr).values(), FIT_ROUNDS,
                    stderr::println, this::structure).format());
            stdout.flush();
            return 0;
        }
        if (compare != null) {
            Map<String, MarketData> a = MarketFiles.load(compare.get(0), null, false, stderr);
            Map<String, MarketData> b = MarketFiles.load(compare.get(1), null, false, stderr);
            stdout.print(SyntheticReport.compare(compare.get(0).getFileName() + "", SyntheticProfile.fit(a.values()),
                    compare.get(1).getFileName() + "", SyntheticProfile.fit(b.values())));
            stdout.flush();
            return 0;
        }
        if (out == null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--out DIR is needed (or --fit / --compare)");
        }
        SyntheticProfile p = profile == null ? SyntheticProfile.xmarketElectronics()
                : SyntheticProfile.parse(Files.readString(profile));
        p = structure(p);
        List<String> list = markets == null ? new ArrayList<>(p.markets().keySet()) : Markets.parseList(markets);
        SyntheticMarkets.Options o = new SyntheticMarkets.Options(list, scale, itemScale == null ? scale : itemScale, seed);
        SyntheticMarkets.write(p, o, out, line -> {
            stderr.println(line);
            stderr.flush();
        });
        stdout.printf("synthetic markets %s at scale %s (items x%s, seed %d) in %s%n", list, fmt(scale),
                fmt(o.itemScale()), seed, out);
        stdout.flush();
        return 0;
    }

    /** The profile with the latent structure the flags set. */
    private SyntheticProfile structure(SyntheticProfile p) {
        if (groups == null && concentration == null) {
            return p;
        }
        if ((groups != null && groups < 1) || (concentration != null && !(concentration > 0))) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--groups must be at least 1 and "
                    + "--concentration above 0");
        }
        return p.withGroups(groups != null ? groups : p.groups(), concentration != null ? concentration
                : p.concentration());
    }

    private static String fmt(double x) {
        return x == Math.rint(x) ? Long.toString((long) x) : Double.toString(x);
    }
}
