using Ringside.Server.Data;

namespace Ringside.Server.Tests;

public sealed class RatingsTests
{
    private static readonly Ratings.Rating Fresh = new(Ratings.InitialMu, Ratings.InitialSigma);

    [Fact]
    public void Two_fresh_players_match_openskill_plackett_luce()
    {
        // openskill.py's documented example: rate([[a], [b]]) with default ratings, a first.
        var r = Ratings.Update([Fresh, Fresh], [1, 2]);
        Assert.Equal(27.63523138347365, r[0].Mu, 9);
        Assert.Equal(22.36476861652635, r[1].Mu, 9);
        Assert.Equal(8.065506316323548, r[0].Sigma, 9);
        Assert.Equal(r[0].Sigma, r[1].Sigma, 12);
    }

    [Fact]
    public void A_free_for_all_orders_ratings_by_placing_and_ties_share()
    {
        var r = Ratings.Update([Fresh, Fresh, Fresh, Fresh], [2, 1, 4, 2]);
        Assert.True(r[1].Mu > r[0].Mu && r[0].Mu > r[2].Mu);
        Assert.Equal(r[0].Mu, r[3].Mu, 9); // tied for second
        Assert.All(r, x => Assert.True(x.Sigma < Fresh.Sigma));
    }

    [Fact]
    public void Beating_a_stronger_player_gains_more_than_beating_a_weaker_one()
    {
        var strong = new Ratings.Rating(35, 3);
        var weak = new Ratings.Rating(15, 3);
        double vsStrong = Ratings.Update([Fresh, strong], [1, 2])[0].Mu - Fresh.Mu;
        double vsWeak = Ratings.Update([Fresh, weak], [1, 2])[0].Mu - Fresh.Mu;
        Assert.True(vsStrong > vsWeak);
    }
}
