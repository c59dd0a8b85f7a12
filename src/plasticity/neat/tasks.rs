//! The paper's benchmarks for NEAT: XOR, and pole balancing on a cart (single pole, with
//! velocities), simulated with the standard equations (Barto, Sutton & Anderson 1983).
use super::genome::Genome;

/// The four XOR cases.
pub const XOR: [([f64; 2], f64); 4] = [
    ([0.0, 0.0], 0.0),
    ([0.0, 1.0], 1.0),
    ([1.0, 0.0], 1.0),
    ([1.0, 1.0], 0.0),
];

/// The paper's XOR fitness, (4 - sum |output - target|)^2, in [0, 16].
pub fn xor_fitness(g: &Genome) -> f64 {
    let error: f64 = XOR.iter().map(|(x, t)| (g.activate(x)[0] - t).abs()).sum();
    (4.0 - error).powi(2)
}

/// Whether the network classifies all four cases right (output above 0.5 for 1).
pub fn xor_solved(g: &Genome) -> bool {
    XOR.iter()
        .all(|(x, t)| (g.activate(x)[0] > 0.5) == (*t > 0.5))
}

/// A cart with one pole (Barto, Sutton & Anderson 1983): cart 1 kg, pole 0.1 kg and half-length
/// 0.5 m, gravity 9.8 m/s^2, force +-10 N, Euler steps of 0.02 s; the run fails when the pole
/// leans more than 12 degrees or the cart leaves +-2.4 m.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CartPole {
    /// Cart position (m).
    pub x: f64,
    /// Cart velocity (m/s).
    pub x_dot: f64,
    /// Pole angle from upright (rad).
    pub theta: f64,
    /// Pole angular velocity (rad/s).
    pub theta_dot: f64,
}

impl CartPole {
    const GRAVITY: f64 = 9.8;
    const CART: f64 = 1.0;
    const POLE: f64 = 0.1;
    const HALF_LENGTH: f64 = 0.5;
    const FORCE: f64 = 10.0;
    const TAU: f64 = 0.02;

    /// One step pushing right (`right`) or left.
    pub fn step(&mut self, right: bool) {
        let force = if right { Self::FORCE } else { -Self::FORCE };
        let total = Self::CART + Self::POLE;
        let (sin, cos) = self.theta.sin_cos();
        let temp = (force + Self::POLE * Self::HALF_LENGTH * self.theta_dot.powi(2) * sin) / total;
        let theta_acc = (Self::GRAVITY * sin - cos * temp)
            / (Self::HALF_LENGTH * (4.0 / 3.0 - Self::POLE * cos * cos / total));
        let x_acc = temp - Self::POLE * Self::HALF_LENGTH * theta_acc * cos / total;
        self.x += Self::TAU * self.x_dot;
        self.x_dot += Self::TAU * x_acc;
        self.theta += Self::TAU * self.theta_dot;
        self.theta_dot += Self::TAU * theta_acc;
    }

    /// Whether the pole is still up and the cart on the track.
    pub fn up(&self) -> bool {
        self.theta.abs() <= 12f64.to_radians() && self.x.abs() <= 2.4
    }

    /// The network's inputs: the state scaled to about [-1, 1].
    pub fn inputs(&self) -> [f64; 4] {
        [
            self.x / 2.4,
            self.x_dot / 2.0,
            self.theta / 12f64.to_radians(),
            self.theta_dot / 2.0,
        ]
    }
}

/// Steps (at most `limit`) that the network balances the pole from a slightly tilted start
/// (pole at 1 degree), pushing right when its output exceeds 0.5.
pub fn balance(g: &Genome, limit: usize) -> usize {
    let mut s = CartPole {
        x: 0.0,
        x_dot: 0.0,
        theta: 1f64.to_radians(),
        theta_dot: 0.0,
    };
    for t in 0..limit {
        s.step(g.activate(&s.inputs())[0] > 0.5);
        if !s.up() {
            return t;
        }
    }
    limit
}
