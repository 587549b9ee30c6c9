"""A typical Chinese technical blog post, used by the demo and the tests."""

CHINESE_DDPM_POST = r"""---
title: 扩散模型入门：从 DDPM 到 DDIM
summary: 用最少的公式讲清楚扩散模型的训练与采样。
difficulty: intermediate
language: zh-hans
area: diffusion
series: 扩散模型从零开始
part: 1
---

#### 一、前向过程

给定数据 $x_0$，前向过程逐步加入高斯噪声：

$$q(x_t \mid x_0) = \mathcal{N}\left(x_t; \sqrt{\bar\alpha_t}\, x_0, (1-\bar\alpha_t) I\right)$$

#### 二、训练目标

网络 $\epsilon_\theta$ 预测噪声，损失为：

$$L = \mathbb{E}_{t, x_0, \epsilon}\left[\left\| \epsilon - \epsilon_\theta(x_t, t) \right\|^2\right]$$

#### 三、训练流程

```mermaid
graph TD
  A[采样 x0] --> B[随机 t 与噪声 eps]
  B --> C[计算 x_t]
  C --> D[UNet 预测噪声]
  D --> E[MSE 损失并反向传播]
```

训练步骤如下：

1. 从数据集中采样一批图像 $x_0$；
2. 均匀采样时间步 $t \sim \mathrm{Uniform}(1, T)$；
3. 采样噪声 $\epsilon \sim \mathcal{N}(0, I)$ 并计算 $x_t$；
4. 对 $\left\| \epsilon - \epsilon_\theta(x_t, t) \right\|^2$ 做梯度下降。

#### 四、小结

DDIM 使用同一个网络，只需 50 步即可采样。
"""
