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

/// A cart with two poles side by side (Wieland 1991, as in the NEAT paper's double pole
/// balancing with velocities): poles of half-length 0.5 m and 0.05 m, masses 0.1 kg and
/// 0.01 kg, cart 1 kg, cart friction 0.0005, pole-hinge friction 0.000002, gravity 9.8 m/s^2;
/// the force is continuous in +-10 N; fourth-order Runge-Kutta steps of 0.01 s; the run fails
/// when either pole leans more than 36 degrees or the cart leaves +-2.4 m.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DoublePole {
    /// Cart position, cart velocity, then angle and angular velocity of each pole:
    /// [x, x', theta1, theta1', theta2, theta2'].
    pub s: [f64; 6],
}

impl DoublePole {
    const HALF: [f64; 2] = [0.5, 0.05];
    const MASS: [f64; 2] = [0.1, 0.01];
    const CART: f64 = 1.0;
    const MU_CART: f64 = 0.0005;
    const MU_POLE: f64 = 0.000002;
    /// Wieland's equations take gravity as -9.8 (with +9.8 upright would be stable).
    const G: f64 = -9.8;
    const DT: f64 = 0.01;

    /// The long pole tilted by 1 degree, everything else at rest (the paper's start).
    pub fn start() -> DoublePole {
        DoublePole {
            s: [0.0, 0.0, 1f64.to_radians(), 0.0, 0.0, 0.0],
        }
    }

    fn derivative(s: &[f64; 6], force: f64) -> [f64; 6] {
        let mut f_eff = 0.0;
        let mut m_eff = 0.0;
        for i in 0..2 {
            let (th, om) = (s[2 + 2 * i], s[3 + 2 * i]);
            let (m, l) = (Self::MASS[i], Self::HALF[i]);
            let (sin, cos) = th.sin_cos();
            f_eff += m * l * om * om * sin
                + 0.75 * m * cos * (Self::MU_POLE * om / (m * l) + Self::G * sin);
            m_eff += m * (1.0 - 0.75 * cos * cos);
        }
        let x_acc = (force - Self::MU_CART * s[1].signum() + f_eff) / (Self::CART + m_eff);
        let mut d = [s[1], x_acc, 0.0, 0.0, 0.0, 0.0];
        for i in 0..2 {
            let (th, om) = (s[2 + 2 * i], s[3 + 2 * i]);
            let (m, l) = (Self::MASS[i], Self::HALF[i]);
            d[2 + 2 * i] = om;
            d[3 + 2 * i] =
                -0.75 / l * (x_acc * th.cos() + Self::G * th.sin() + Self::MU_POLE * om / (m * l));
        }
        d
    }

    /// One Runge-Kutta step with `force` (N).
    pub fn step(&mut self, force: f64) {
        let add = |a: &[f64; 6], b: &[f64; 6], h: f64| -> [f64; 6] {
            std::array::from_fn(|i| a[i] + h * b[i])
        };
        let k1 = Self::derivative(&self.s, force);
        let k2 = Self::derivative(&add(&self.s, &k1, Self::DT / 2.0), force);
        let k3 = Self::derivative(&add(&self.s, &k2, Self::DT / 2.0), force);
        let k4 = Self::derivative(&add(&self.s, &k3, Self::DT), force);
        for i in 0..6 {
            self.s[i] += Self::DT / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
        }
    }

    /// Whether both poles are up and the cart on the track.
    pub fn up(&self) -> bool {
        let limit = 36f64.to_radians();
        self.s[0].abs() <= 2.4 && self.s[2].abs() <= limit && self.s[4].abs() <= limit
    }

    /// The network's inputs: the state scaled to about [-1, 1].
    pub fn inputs(&self) -> [f64; 6] {
        let limit = 36f64.to_radians();
        [
            self.s[0] / 2.4,
            self.s[1] / 1.5,
            self.s[2] / limit,
            self.s[3] / 2.0,
            self.s[4] / limit,
            self.s[5] / 2.0,
        ]
    }
}

/// Steps (at most `limit`) that the network keeps both poles up, its output in [0, 1] mapped to
/// a force in +-10 N.
pub fn balance_double(g: &Genome, limit: usize) -> usize {
    let mut s = DoublePole::start();
    for t in 0..limit {
        let out = g.activate(&s.inputs())[0];
        s.step((out - 0.5) * 20.0);
        if !s.up() {
            return t;
        }
    }
    limit
}
