use super::*;
use rand::SeedableRng;

/// A fresh draw per iteration by default; `fresh_draw = false`, one per cycle; keyed by the
/// regime's name (not its place in the config), cycle and seed.
#[test]
fn fresh_draw_decides_whether_each_iteration_draws_anew() {
    let spec = crate::data::SyntheticSpec {
        train: 500,
        test: 10,
        ..Default::default()
    };
    let train = crate::data::synthetic(&spec).train;
    let regime = |text: &str| -> RegimeConfig { toml::from_str(text).unwrap() };
    let draw = |r: &RegimeConfig, regime: usize, cycle: usize, iteration: usize| {
        let step = Step {
            regime,
            cycle,
            iteration,
        };
        retraining_images(&train, r, 1, step, None, Pools::default())
            .unwrap()
            .unwrap()
    };
    let fresh = regime("name = \"R\"\nimages = 50");
    assert_eq!(draw(&fresh, 0, 0, 1).len(), 50);
    assert_eq!(draw(&fresh, 0, 0, 1), draw(&fresh, 0, 0, 1), "seeded");
    assert_ne!(draw(&fresh, 0, 0, 1), draw(&fresh, 0, 0, 2));
    assert_ne!(draw(&fresh, 0, 0, 1), draw(&fresh, 0, 1, 1));
    let once = regime("name = \"R\"\nimages = 50\nfresh_draw = false");
    assert_eq!(draw(&once, 0, 0, 1), draw(&once, 0, 0, 2));
    assert_eq!(draw(&once, 0, 0, 1), draw(&once, 0, 0, 5));
    assert_ne!(
        draw(&once, 0, 0, 1),
        draw(&once, 0, 1, 1),
        "one draw per cycle"
    );
    // By name: the same regime at another place in the config draws the same images.
    assert_eq!(draw(&fresh, 0, 0, 1), draw(&fresh, 3, 0, 1));
    let other = regime("name = \"Q\"\nimages = 50");
    assert_ne!(draw(&fresh, 0, 0, 1), draw(&other, 0, 0, 1));
}

#[test]
fn error_targeted_draws_take_the_errors_first_then_fill_at_random() {
    let wrong = [1, 3, 5, 8];
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    // All of R from the errors when there are enough.
    let d = error_targeted(20, &wrong, 3, 1.0, &mut rng).unwrap();
    assert_eq!(d.len(), 3);
    assert!(d.iter().all(|i| wrong.contains(i)), "{d:?}");
    // Fewer errors than R: all of them, then the others.
    let d = error_targeted(20, &wrong, 10, 1.0, &mut rng).unwrap();
    let from_wrong = d.iter().filter(|i| wrong.contains(i)).count();
    assert_eq!((d.len(), from_wrong), (10, 4), "{d:?}");
    // A share: round(0.5 * 6) = 3 errors and 3 others, no index twice.
    let d = error_targeted(20, &wrong, 6, 0.5, &mut rng).unwrap();
    let from_wrong = d.iter().filter(|i| wrong.contains(i)).count();
    assert_eq!(from_wrong, 3, "{d:?}");
    let mut u = d.clone();
    u.sort_unstable();
    u.dedup();
    assert_eq!(u.len(), 6);
    // Seeded: the same draw again.
    let a = error_targeted(20, &wrong, 6, 0.5, &mut ChaCha8Rng::seed_from_u64(9)).unwrap();
    let b = error_targeted(20, &wrong, 6, 0.5, &mut ChaCha8Rng::seed_from_u64(9)).unwrap();
    assert_eq!(a, b);
    // Too few right ones for the rest: more errors make up R (5 of the 9, the 1 right one).
    let most: Vec<usize> = (0..9).collect();
    let d = error_targeted(10, &most, 6, 0.5, &mut rng).unwrap();
    assert_eq!(d.iter().filter(|&&i| i == 9).count(), 1, "{d:?}");
    assert_eq!(d.len(), 6);
    // More images than exist: an error.
    assert!(error_targeted(5, &[1, 3], 6, 1.0, &mut rng).is_err());
}

/// With a healthy model that held images out, every source but `unseen` draws among the
/// seen images, and `unseen` among the others; a seen pool of every image draws exactly
/// what no pool draws (the same numbers as before holdouts existed).
#[test]
fn the_held_out_images_are_drawn_by_unseen_alone() {
    let spec = crate::data::SyntheticSpec {
        train: 400,
        test: 10,
        ..Default::default()
    };
    let train = crate::data::synthetic(&spec).train;
    let seen: Vec<usize> = (0..400).filter(|i| i % 4 != 0).collect();
    let unseen: Vec<usize> = (0..400).filter(|i| i % 4 == 0).collect();
    let every: Vec<usize> = (0..400).collect();
    let held = Pools {
        seen: Some(&seen),
        unseen: Some(&unseen),
    };
    let full = Pools {
        seen: Some(&every),
        unseen: None,
    };
    let wrong: Vec<usize> = (0..400).filter(|i| i % 3 == 0).collect();
    let step = Step {
        regime: 0,
        cycle: 1,
        iteration: 2,
    };
    for text in [
        "images = 60",
        "images = 60\nsource = \"balanced\"",
        "images = 60\nsource = \"errors\"\nerrors_share = 0.5",
        "images = 200\nsource = \"errors\"",
    ] {
        let r: RegimeConfig = toml::from_str(&format!("name = \"R\"\n{text}")).unwrap();
        let draw = |p: Pools| {
            retraining_images(
                &train,
                &r,
                1,
                step,
                Some(&Judged::Misclassified(wrong.clone())),
                p,
            )
            .unwrap()
            .unwrap()
        };
        let d = draw(held);
        assert!(d.iter().all(|i| i % 4 != 0), "{text}: {d:?}");
        if r.source == Source::Errors {
            // The errors among the seen images come first: 30 (a share of 0.5), else all
            // 100 of them and 100 right ones.
            let from_wrong = d.iter().filter(|&&i| i % 3 == 0).count();
            let want = if r.errors_share < 1.0 { 30 } else { 100 };
            assert_eq!(from_wrong, want, "{text}");
        }
        assert_eq!(draw(full), draw(Pools::default()), "{text}");
    }
    // The whole set is the seen images.
    let all: RegimeConfig = toml::from_str("name = \"R\"").unwrap();
    let d = retraining_images(&train, &all, 1, step, None, held).unwrap();
    assert_eq!(d.as_deref(), Some(&seen[..]));
    let new: RegimeConfig =
        toml::from_str("name = \"R\"\nimages = 60\nsource = \"unseen\"").unwrap();
    let d = retraining_images(&train, &new, 1, step, None, held)
        .unwrap()
        .unwrap();
    assert!(d.len() == 60 && d.iter().all(|i| i % 4 == 0), "{d:?}");
    let e = retraining_images(&train, &new, 1, step, None, Pools::default()).unwrap_err();
    assert!(e.to_string().contains("holdout = H"), "{e}");
    let many: RegimeConfig =
        toml::from_str("name = \"R\"\nimages = 101\nsource = \"unseen\"").unwrap();
    let e = retraining_images(&train, &many, 1, step, None, held).unwrap_err();
    assert!(e.to_string().contains("the 100 training images"), "{e}");
}
