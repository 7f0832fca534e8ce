namespace Ringside.Server.Data;

/// <summary>
/// Skill ratings for free-for-all matches: the Weng-Lin Bayesian approximation with the Plackett-Luce model, as in
/// OpenSkill (Weng and Lin, "A Bayesian Approximation Method for Online Ranking", JMLR 2011, algorithm 4). Every
/// fighter is its own team. Elo only compares two players; this updates all of a match's placings at once.
/// </summary>
public static class Ratings
{
    public const double InitialMu = 25, InitialSigma = 25.0 / 3, Beta = InitialSigma / 2, Kappa = 0.0001;

    public readonly record struct Rating(double Mu, double Sigma)
    {
        public double Ordinal => Mu - 3 * Sigma;
    }

    /// <summary>New ratings after one match. <paramref name="placements"/>: 1 is first; equal placings are ties.</summary>
    public static Rating[] Update(IReadOnlyList<Rating> ratings, IReadOnlyList<int> placements)
    {
        int n = ratings.Count;
        if (placements.Count != n) throw new ArgumentException("one placement per rating.");
        double c = Math.Sqrt(ratings.Sum(r => r.Sigma * r.Sigma + Beta * Beta));
        var expMu = ratings.Select(r => Math.Exp(r.Mu / c)).ToArray();
        // sumQ[q]: the exponentials of everyone placed at q's place or worse; a[q]: how many share q's place.
        var sumQ = new double[n];
        var a = new int[n];
        for (int q = 0; q < n; q++)
            for (int i = 0; i < n; i++)
            {
                if (placements[i] >= placements[q]) sumQ[q] += expMu[i];
                if (placements[i] == placements[q]) a[q]++;
            }

        var updated = new Rating[n];
        for (int i = 0; i < n; i++)
        {
            double omega = 0, delta = 0;
            for (int q = 0; q < n; q++)
            {
                if (placements[q] > placements[i]) continue; // only those placed at i's place or better
                double quotient = expMu[i] / sumQ[q];
                omega += (q == i ? 1 - quotient : -quotient) / a[q];
                delta += quotient * (1 - quotient) / a[q];
            }
            double variance = ratings[i].Sigma * ratings[i].Sigma;
            double gamma = ratings[i].Sigma / c;
            double mu = ratings[i].Mu + variance / c * omega;
            double sigma = ratings[i].Sigma * Math.Sqrt(Math.Max(1 - gamma * variance / (c * c) * delta, Kappa));
            updated[i] = new Rating(mu, sigma);
        }
        return updated;
    }
}
