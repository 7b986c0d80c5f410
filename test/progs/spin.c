/* Spins on the CPU for ever. */
int main(void)
{
	volatile unsigned long n = 0;
	for (;;)
		n++;
}
